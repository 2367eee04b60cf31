using System.Security.Cryptography;
using System.Text;

namespace Gfe.Engine.Runs;

/// <summary>
/// The canonical, deterministic name of a run configuration, used as its grain key: the fields a person scans for
/// (method, dataset, train size, seed) in a fixed order, then a short hash of every setting (settings added later count
/// only when set away from their default, <see cref="RunParameter.OmittedFromKeyAt"/>). Two specs with the same
/// settings get the same key, so submitting a run twice reuses its result.
/// </summary>
public static class RunKey
{
    public static string For(RunConfig config)
    {
        var canonical = string.Join("\n", RunParameters.ToKeyList(config).Select(kv => $"{kv.Key}={kv.Value}"));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..10];
        return $"{RunParameters.MethodName(config.Method)}.{config.Dataset}.n{config.TrainSize}.s{config.Seed}.{hash}";
    }
}
