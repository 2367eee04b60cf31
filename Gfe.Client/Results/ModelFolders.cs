using Gfe.Abstractions;
using Gfe.Client.Running;

namespace Gfe.Client.Results;

/// <summary>
/// Gathers the trained models of a sweep into <c>results/&lt;sweep&gt;/models/&lt;key&gt;/</c>: each completed run's
/// silo saved its model beside its checkpoints (a directory a cluster's silos share) and reported the folder; it is
/// copied here so that the results folder stands alone. A folder this machine cannot see (a cluster without a shared
/// file system) is skipped and listed, so the caller can say where the models are. Test-set latents saved with a model
/// (<c>latents: true</c>) go to <c>results/&lt;sweep&gt;/latents/</c>.
/// </summary>
public static class ModelFolders
{
    public const string FolderName = "models";

    /// <summary>Where the test-set latents of runs with <c>latents: true</c> go: <c>latents/&lt;key&gt;.npy</c>, with
    /// <c>&lt;key&gt;.losses.npy</c> and <c>&lt;key&gt;.labels.npy</c>.</summary>
    public const string LatentsFolder = "latents";

    static readonly Dictionary<string, string> LatentNames = new()
    {
        [Engine.Artifacts.LatentExport.LatentsFile] = ".npy",
        [Engine.Artifacts.LatentExport.LossesFile] = ".losses.npy",
        [Engine.Artifacts.LatentExport.LabelsFile] = ".labels.npy",
    };

    /// <summary>Copies every reachable model folder; returns the run keys whose folders could not be reached.</summary>
    public static IReadOnlyList<string> Gather(string resultsDirectory, IReadOnlyList<RunRecord> runs)
    {
        var missing = new List<string>();
        foreach (var record in runs)
        {
            if (record.Status.Outcome?.ModelDirectory is not { } source) continue;
            var target = Path.Combine(resultsDirectory, FolderName, record.Run.Key);
            if (Path.GetFullPath(source) == Path.GetFullPath(target)) continue;
            if (!Directory.Exists(source))
            {
                missing.Add(record.Run.Key);
                continue;
            }
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(source))
            {
                var name = Path.GetFileName(file);
                if (LatentNames.TryGetValue(name, out var suffix))
                {
                    Directory.CreateDirectory(Path.Combine(resultsDirectory, LatentsFolder));
                    File.Copy(file, Path.Combine(resultsDirectory, LatentsFolder, record.Run.Key + suffix), overwrite: true);
                }
                else File.Copy(file, Path.Combine(target, name), overwrite: true);
            }
        }
        return missing;
    }
}
