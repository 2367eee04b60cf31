using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;

namespace Gfe.Client.Sweeps;

/// <summary>
/// Puts the datasets a sweep file declares into the data directory (<c>datasets/NAME.yaml</c>, file paths made
/// absolute, checksums recorded), where the silo that trains a run finds them by name. A dataset already declared
/// there with the same content is left as it is, so its recorded checksums keep guarding against changed files; one
/// declared differently is refused, because two datasets of one name would share run keys.
/// </summary>
public static class SweepDatasets
{
    /// <summary>Installs every declaration; throws <see cref="DataInputException"/> (exit 2) or
    /// <see cref="DataException"/> (exit 3) naming the problem.</summary>
    public static void Install(SweepFile sweep, string dataDirectory)
    {
        foreach (var declaration in sweep.Datasets)
        {
            var absolute = declaration with
            {
                Train = Absolute(declaration, declaration.Train)!,
                Test = Absolute(declaration, declaration.Test),
                Labels = Absolute(declaration, declaration.Labels),
                TestLabels = Absolute(declaration, declaration.TestLabels),
                BaseDirectory = Path.Combine(Path.GetFullPath(dataDirectory), DatasetDeclaration.FolderName),
            };
            var path = DatasetDeclaration.PathIn(dataDirectory, declaration.Name);
            if (File.Exists(path))
            {
                var existing = DatasetDeclaration.Load(path);
                if (existing with { Files = [], Description = "" } != absolute with { Files = [], Description = "" })
                    throw new DataInputException(
                        $"{sweep.Path}: dataset '{declaration.Name}' is already declared differently in {path}; rename it in the sweep file, or remove that declaration.");
                continue;
            }
            var recorded = DeclaredDataset.Record(absolute);
            DeclaredDataset.Load(recorded); // every check of a load (shapes, values, loss range) before anything runs
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, recorded.ToYaml());
        }
    }

    static string? Absolute(DatasetDeclaration declaration, string? reference) =>
        reference is null ? null : declaration.Resolve(reference).ToString();
}
