using System.Globalization;

namespace Gfe.Engine.Data.Files;

/// <summary>
/// Loads a <see cref="DatasetDeclaration"/> into the splits a run uses. In order: every file is checked against the
/// checksum recorded when it was declared; the arrays are read (non-empty, finite); with <c>testFraction</c> one file
/// is cut by a seeded shuffle (both parts kept in file order); train and test must have the same sample shape; the
/// normalisation is fitted on the training split only and applied to both; with loss bce every value must then lie
/// in [0,1]. Every problem is a <see cref="DataInputException"/> naming the file (exit code 2); a missing file a
/// <see cref="DataException"/> (exit code 3).
/// </summary>
public static class DeclaredDataset
{
    /// <summary>The declaration with <see cref="DatasetDeclaration.Files"/> filled from the files as they are now.</summary>
    public static DatasetDeclaration Record(DatasetDeclaration declaration)
    {
        var files = declaration.References.Select(reference =>
        {
            var resolved = declaration.Resolve(reference);
            var array = resolved.Read();
            return new DeclaredFile(reference, FileDigest.Sha256(resolved.Path), array.Shape, array.DType);
        }).ToList();
        return declaration with { Files = files };
    }

    public static DatasetSplits Load(DatasetDeclaration declaration)
    {
        var checksums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var reference in declaration.References)
        {
            var resolved = declaration.Resolve(reference);
            if (!checksums.ContainsKey(resolved.Path))
            {
                using (DataFileIo.OpenRead(resolved.Path)) { }
                checksums[resolved.Path] = FileDigest.Sha256(resolved.Path);
            }
            var recorded = declaration.Files.FirstOrDefault(f => f.Reference == reference);
            if (recorded is not null && recorded.Sha256 != checksums[resolved.Path])
                throw new DataInputException(
                    $"{resolved.Path} changed since dataset '{declaration.Name}' was declared (SHA-256 {checksums[resolved.Path][..12]}..., " +
                    $"declared {recorded.Sha256[..Math.Min(12, recorded.Sha256.Length)]}...); results would not be comparable. " +
                    $"Declare it again (gfe data add {declaration.Name} ... --force) if the change is intended.");
        }

        SampleArray train, test;
        SampleArray? testLabels = null;
        var trainArray = declaration.Resolve(declaration.Train).Read();
        var labels = declaration.Labels is null ? null : ReadLabels(declaration, declaration.Labels, trainArray);
        string splitText;
        if (declaration.TestFraction is { } fraction)
        {
            int n = trainArray.Count;
            int testCount = (int)Math.Round(n * fraction, MidpointRounding.AwayFromZero);
            if (testCount < 1 || testCount >= n)
                throw new DataInputException(
                    $"{trainArray.Source}: testFraction {fraction.ToString(CultureInfo.InvariantCulture)} of {n} samples leaves {testCount} for test and {n - testCount} for training; both need at least one.");
            var order = SeededShuffle.Permutation(n, unchecked((ulong)declaration.Seed));
            var testIndices = order[..testCount].Order().ToArray();
            var trainIndices = order[testCount..].Order().ToArray();
            test = trainArray.Select(testIndices);
            train = trainArray.Select(trainIndices);
            testLabels = labels?.Select(testIndices);
            splitText = $"test {testCount} of {n} (testFraction {fraction.ToString(CultureInfo.InvariantCulture)}, seed {declaration.Seed})";
        }
        else
        {
            train = trainArray;
            test = declaration.Resolve(declaration.Test!).Read();
            if (declaration.TestLabels is not null) testLabels = ReadLabels(declaration, declaration.TestLabels, test);
            splitText = $"test {Describe(test, checksums)}";
        }
        if (!train.SampleShape.SequenceEqual(test.SampleShape))
            throw new DataInputException(
                $"{test.Source}: test samples have shape [{string.Join(", ", test.SampleShape)}] ({test.FeatureCount} features), " +
                $"the training samples of {train.Source} [{string.Join(", ", train.SampleShape)}] ({train.FeatureCount} features); they must match.");

        int d = train.FeatureCount;
        var normalization = Normalization.Fit(declaration.Normalize, train.Values, d);
        var trainValues = normalization.Apply(train.Values);
        var testValues = normalization.Apply(test.Values);
        if (declaration.Loss == "bce")
        {
            CheckUnitRange(trainValues, d, train.Source, declaration);
            CheckUnitRange(testValues, d, test.Source, declaration);
        }
        int[] sampleShape = train.SampleShape.Length == 0 ? [1] : train.SampleShape;
        var provenance = $"{declaration.Name} from train {Describe(trainArray, checksums)}, {splitText}" +
            (declaration.Normalize == NormalizeMode.None ? "" : $", normalize {Normalization.Text(declaration.Normalize)}");
        return new DatasetSplits(declaration.Name,
            new ImageSet(trainValues, new byte[train.Count]) { SampleShape = sampleShape },
            new ImageSet(testValues, new byte[test.Count]) { SampleShape = sampleShape },
            provenance)
        {
            Normalization = normalization,
            TestLabels = testLabels,
            LabelNames = LabelNames(declaration, testLabels),
            DefaultLoss = declaration.Loss,
        };
    }

    /// <summary>The declaration's label names, checked against the label columns.</summary>
    static IReadOnlyList<string> LabelNames(DatasetDeclaration declaration, SampleArray? labels)
    {
        if (declaration.LabelNames.Count == 0 || labels is null) return [];
        int columns = labels.FeatureCount;
        if (declaration.LabelNames.Count != columns)
            throw new DataInputException(
                $"dataset '{declaration.Name}': labelNames gives {declaration.LabelNames.Count} names for {columns} label column{(columns == 1 ? "" : "s")} of {labels.Source}; give one name per column.");
        return declaration.LabelNames;
    }

    static SampleArray ReadLabels(DatasetDeclaration declaration, string reference, SampleArray data)
    {
        var labels = declaration.Resolve(reference).Read();
        if (labels.Count != data.Count)
            throw new DataInputException($"{labels.Source}: {labels.Count} labels for the {data.Count} samples of {data.Source}; there must be one per sample.");
        return labels;
    }

    static string Describe(SampleArray array, IReadOnlyDictionary<string, string> checksums)
    {
        var path = DataFileReference.Parse(array.Source).Path;
        var sum = checksums.TryGetValue(path, out var s) ? $" sha256:{s[..12]}" : "";
        return $"{Path.GetFileName(array.Source)} [{array.ShapeText} {array.DType}]{sum}";
    }

    static void CheckUnitRange(float[] values, int features, string source, DatasetDeclaration declaration)
    {
        for (long i = 0; i < values.LongLength; i++)
        {
            if (values[i] is >= 0f and <= 1f) continue;
            string normalized = declaration.Normalize == NormalizeMode.None ? "" : $" after normalize {Normalization.Text(declaration.Normalize)}";
            string fix = declaration.Normalize == NormalizeMode.Minmax
                ? "minmax is fitted on the training split, so test values may fall outside [0,1]: use 'loss: mse'"
                : "use 'normalize: minmax' or 'loss: mse'";
            throw new DataInputException(
                $"{source}: sample {i / features}, feature {i % features} has value {values[i].ToString("G6", CultureInfo.InvariantCulture)}{normalized}, " +
                $"outside [0,1], which loss bce needs (dataset '{declaration.Name}'); {fix}.");
        }
    }
}
