using System.Net;

namespace Gfe.Engine.Data;

/// <summary>
/// The canonical download mirrors, each file checked against the MD5 its publisher lists (the values torchvision
/// uses). Mirrors are tried in order; a connection gets <see cref="ConnectTimeout"/> so that a machine without internet
/// falls through to the offline sources quickly.
/// </summary>
public sealed class MirrorSource(string dataset, IReadOnlyList<string> mirrors, IReadOnlyDictionary<string, string> md5ByFile)
    : IDataSource
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private static readonly HttpClient Http = new(new SocketsHttpHandler { ConnectTimeout = ConnectTimeout })
    {
        Timeout = TimeSpan.FromMinutes(10),
    };

    public static MirrorSource Mnist { get; } = new("mnist",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"],
        new Dictionary<string, string>
        {
            [DatasetLayout.TrainImagesName + ".gz"] = "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            [DatasetLayout.TrainLabelsName + ".gz"] = "d53e105ee54ea40749a09fcbcd1e9432",
            [DatasetLayout.TestImagesName + ".gz"] = "9fb629c4189551a2d022fa330f9573f3",
            [DatasetLayout.TestLabelsName + ".gz"] = "ec29112dd5afa0611ce80d1b7f02629c",
        });

    public static MirrorSource FashionMnist { get; } = new("fashion-mnist",
        ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        new Dictionary<string, string>
        {
            [DatasetLayout.TrainImagesName + ".gz"] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            [DatasetLayout.TrainLabelsName + ".gz"] = "25c81989df183df01b3e8a0aad5dffbe",
            [DatasetLayout.TestImagesName + ".gz"] = "bef4ecab320f06d8554ea6380940ec79",
            [DatasetLayout.TestLabelsName + ".gz"] = "bb300cfdad3c16e7a12a480ee83cd310",
        });

    public string Name => "download mirrors";

    public FetchedDataset Fetch(string targetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        var failures = new List<string>();
        foreach (var mirror in mirrors)
        {
            try
            {
                foreach (var (file, md5) in md5ByFile)
                    Download(new Uri(new Uri(mirror), file), Path.Combine(targetDirectory, file), md5, progress, cancel);
                return new FetchedDataset($"mirror {mirror}", "Files downloaded as published; MD5 of each .gz verified.");
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                // HttpClient reports a connect timeout as a TaskCanceledException; only the caller's token cancels.
                failures.Add($"{mirror}: {OneLine(e)}");
                progress?.Report(new FetchProgress(dataset, $"mirror {mirror} failed: {OneLine(e)}", null));
            }
        }
        throw new DataException(string.Join("; ", failures));
    }

    private void Download(Uri url, string path, string md5, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        progress?.Report(new FetchProgress(dataset, $"downloading {url}", 0));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = Http.Send(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new DataException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        long? length = response.Content.Headers.ContentLength;
        using (var body = response.Content.ReadAsStream(cancel))
        using (var file = File.Create(path))
        {
            var buffer = new byte[1 << 16];
            long done = 0;
            int read;
            while ((read = body.Read(buffer)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                file.Write(buffer, 0, read);
                done += read;
                if (length > 0) progress?.Report(new FetchProgress(dataset, $"downloading {url}", (double)done / length.Value));
            }
        }
        var actual = FileDigest.Md5(path);
        if (actual != md5)
            throw new DataException($"{url}: MD5 {actual} differs from the published {md5}.");
    }

    private static string OneLine(Exception e) => e switch
    {
        TaskCanceledException => $"no connection within {ConnectTimeout.TotalSeconds:0} s or transfer timed out",
        _ => e.Message.ReplaceLineEndings(" "),
    };
}
