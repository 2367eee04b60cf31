using PureHDF;
using PureHDF.VOL.Native;

namespace Gfe.Engine.Data.Files;

/// <summary>
/// A dataset inside an HDF5 file, <c>file.h5:/group/dataset</c>, read with PureHDF: floating point (32 or 64 bit) or
/// integers of 8, 16 or 32 bits, any rank, the first axis the samples.
/// </summary>
public static class Hdf5Data
{
    public static SampleArray Read(string path, string? datasetPath)
    {
        var source = $"{path}:{datasetPath}";
        if (string.IsNullOrEmpty(datasetPath))
            throw new DataInputException($"{path}: name the dataset inside the HDF5 file, e.g. {path}:/group/data.");
        using (DataFileIo.OpenRead(path)) { } // missing or unreadable: exit code 3, with the path
        NativeFile file;
        try
        {
            file = H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not DataException)
        {
            throw new DataInputException($"{path}: not a readable HDF5 file: {e.Message}", e);
        }
        using (file)
        {
            IH5Dataset dataset;
            try
            {
                dataset = file.Get(datasetPath) as IH5Dataset ?? throw new DataInputException(
                    $"{source}: is a group, not a dataset; {Children(file, datasetPath)}");
            }
            catch (Exception e) when (e is not DataInputException)
            {
                throw new DataInputException($"{source}: no such dataset in the HDF5 file; {Children(file, "/")}", e);
            }
            var dims = dataset.Space.Dimensions;
            if (dims.Any(d => d > int.MaxValue)) throw new DataInputException($"{source}: a dimension is too large.");
            var shape = dims.Select(d => (int)d).ToArray();
            var type = dataset.Type;
            try
            {
                var (values, dtype) = (type.Class, type.Size) switch
                {
                    (H5DataTypeClass.FloatingPoint, 4) => (dataset.Read<float[]>(), "float32"),
                    (H5DataTypeClass.FloatingPoint, 8) => (Array.ConvertAll(dataset.Read<double[]>(), v => (float)v), "float64"),
                    (H5DataTypeClass.FixedPoint, 1) when !type.FixedPoint.IsSigned => (Array.ConvertAll(dataset.Read<byte[]>(), v => (float)v), "uint8"),
                    (H5DataTypeClass.FixedPoint, 1) => (Array.ConvertAll(dataset.Read<sbyte[]>(), v => (float)v), "int8"),
                    (H5DataTypeClass.FixedPoint, 2) when type.FixedPoint.IsSigned => (Array.ConvertAll(dataset.Read<short[]>(), v => (float)v), "int16"),
                    (H5DataTypeClass.FixedPoint, 2) => (Array.ConvertAll(dataset.Read<ushort[]>(), v => (float)v), "uint16"),
                    (H5DataTypeClass.FixedPoint, 4) when type.FixedPoint.IsSigned => (Array.ConvertAll(dataset.Read<int[]>(), v => (float)v), "int32"),
                    _ => throw new DataInputException(
                        $"{source}: HDF5 type {type.Class} of {type.Size} bytes is not supported; store float32, float64 or integers of up to 32 bits."),
                };
                return SampleArray.Create(values, shape, dtype, source);
            }
            catch (Exception e) when (e is not DataInputException)
            {
                throw new DataInputException($"{source}: cannot read the dataset: {e.Message}", e);
            }
        }
    }

    static string Children(NativeFile file, string group)
    {
        try
        {
            var g = group == "/" ? file : file.Get(group) as IH5Group;
            var names = g?.Children().Select(c => c.Name).Take(20).ToList() ?? [];
            return names.Count == 0 ? $"{group} holds nothing" : $"{group} holds: {string.Join(", ", names)}";
        }
        catch (Exception)
        {
            return "its contents could not be listed";
        }
    }
}
