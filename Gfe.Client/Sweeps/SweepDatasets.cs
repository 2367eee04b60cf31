using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;

namespace Gfe.Client.Sweeps;

/// <summary>
/// The datasets a sweep file declares itself (its <c>datasets:</c> section). Before a sweep runs they are recorded
/// (file paths made absolute, checksums taken, every check of a load made) and shipped with each run that names them
/// (<see cref="Abstractions.RunSpec.DatasetDeclaration"/>), so that whichever silo trains the run, on this machine or
/// another, loads the data from the declaration instead of its own data directory; the files must be at the same
/// paths there (docs/cluster.md). In local mode they are also written into the data directory
/// (<c>datasets/NAME.yaml</c>), so that <c>gfe data list</c>, <c>gfe encode --data NAME</c> and later sweeps know them:
/// a dataset already declared there with the same content is left as it is, one declared differently is refused,
/// because two datasets of one name would share run keys.
/// </summary>
public static class SweepDatasets
{
    /// <summary>Records and checks every declaration and returns the sweep with them attached to its runs (no file is
    /// written). Throws <see cref="DataInputException"/> (exit 2) or <see cref="DataException"/> (exit 3).</summary>
    public static SweepFile Prepare(SweepFile sweep) => Attach(sweep, Record(sweep));

    /// <summary>As <see cref="Prepare"/>, and writes the declarations into <paramref name="dataDirectory"/> (local mode).</summary>
    public static SweepFile Install(SweepFile sweep, string dataDirectory)
    {
        var attached = new List<DatasetDeclaration>();
        foreach (var declaration in Record(sweep))
        {
            var path = DatasetDeclaration.PathIn(dataDirectory, declaration.Name);
            var placed = declaration with { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))! };
            if (File.Exists(path))
            {
                var existing = DatasetDeclaration.Load(path);
                if (existing with { Files = [], Description = "", LabelNames = [] } != placed with { Files = [], Description = "", LabelNames = [] })
                    throw new DataInputException(
                        $"{sweep.Path}: dataset '{declaration.Name}' is already declared differently in {path}; rename it in the sweep file, or remove that declaration.");
                // The first declaration's checksums stay the reference: a file changed since is refused.
                attached.Add(existing);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, placed.ToYaml());
            attached.Add(placed);
        }
        return Attach(sweep, attached);
    }

    /// <summary>Each declaration with absolute paths and the files' checksums, loaded once to make every check (shapes,
    /// values, loss range) before anything runs.</summary>
    static IReadOnlyList<DatasetDeclaration> Record(SweepFile sweep) =>
        sweep.Datasets.Select(declaration =>
        {
            var absolute = declaration with
            {
                Train = Absolute(declaration, declaration.Train)!,
                Test = Absolute(declaration, declaration.Test),
                Labels = Absolute(declaration, declaration.Labels),
                TestLabels = Absolute(declaration, declaration.TestLabels),
            };
            var recorded = DeclaredDataset.Record(absolute);
            DeclaredDataset.Load(recorded);
            return recorded;
        }).ToList();

    /// <summary>The sweep with each run of a recorded dataset carrying that declaration in its spec.</summary>
    static SweepFile Attach(SweepFile sweep, IReadOnlyList<DatasetDeclaration> recorded)
    {
        if (recorded.Count == 0) return sweep;
        var texts = recorded.ToDictionary(d => d.Name, d => d.ToYaml(), StringComparer.Ordinal);
        return sweep with
        {
            Runs = [.. sweep.Runs.Select(run => texts.TryGetValue(run.Config.Dataset, out var text)
                ? run with { Spec = run.Spec with { DatasetDeclaration = text } }
                : run)],
        };
    }

    static string? Absolute(DatasetDeclaration declaration, string? reference) =>
        reference is null ? null : declaration.Resolve(reference).ToString();
}
