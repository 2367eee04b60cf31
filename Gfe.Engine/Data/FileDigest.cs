using System.Security.Cryptography;

namespace Gfe.Engine.Data;

/// <summary>Checksums of files as lower-case hex: SHA-256 for manifests, MD5 because the mirrors publish only MD5.</summary>
public static class FileDigest
{
    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    public static string Md5(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(file));
    }
}
