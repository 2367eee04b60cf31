using Gfe.Grains;
using Gfe.Tests.Data;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// <see cref="SqliteGrainStorage"/>: what one instance writes another reads from the file (as a new gfe process
/// would), and ETags guard every write and clear as the Redis provider's do.
/// </summary>
public sealed class SqliteGrainStorageTests : IDisposable
{
    readonly TempDirectory folder = new();
    static readonly GrainId Run = GrainId.Create("run", "simulate.mnist.n480.s0.abc");

    string File => Path.Combine(folder.Path, "results", "runs.db");

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_state_written_by_one_instance_is_read_by_the_next_on_the_same_file()
    {
        var written = new State { Value = new Record("completed", 0.25) };
        using (var storage = new SqliteGrainStorage(File, new JsonSerializer()))
            await storage.WriteStateAsync("run", Run, written);

        var read = new State();
        using (var storage = new SqliteGrainStorage(File, new JsonSerializer()))
            await storage.ReadStateAsync("run", Run, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(new Record("completed", 0.25), read.Value);
    }

    [Fact]
    public async Task A_missing_state_reads_as_none()
    {
        using var storage = new SqliteGrainStorage(File, new JsonSerializer());
        var read = new State { Value = new Record("untouched", 1) };

        await storage.ReadStateAsync("run", Run, read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal(new Record("untouched", 1), read.Value);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_and_changes_nothing()
    {
        using var storage = new SqliteGrainStorage(File, new JsonSerializer());
        var first = new State { Value = new Record("running", 0) };
        await storage.WriteStateAsync("run", Run, first);
        var other = new State();
        await storage.ReadStateAsync("run", Run, other);
        other.Value = new Record("completed", 0.5);
        await storage.WriteStateAsync("run", Run, other);

        first.Value = new Record("failed", 0);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("run", Run, first));
        // A first write (no ETag) where a row exists is refused too.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("run", Run, new State { Value = new Record("new", 0) }));

        var read = new State();
        await storage.ReadStateAsync("run", Run, read);
        Assert.Equal(new Record("completed", 0.5), read.Value);
    }

    [Fact]
    public async Task Clearing_removes_the_state_and_checks_the_etag()
    {
        using var storage = new SqliteGrainStorage(File, new JsonSerializer());
        var state = new State { Value = new Record("completed", 0.5) };
        await storage.WriteStateAsync("run", Run, state);
        var stale = new State { ETag = "stale" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("run", Run, stale));

        await storage.ClearStateAsync("run", Run, state);

        var read = new State();
        await storage.ReadStateAsync("run", Run, read);
        Assert.False(read.RecordExists);
    }

    public sealed record Record(string State, double Loss);

    sealed class State : IGrainState<Record?>
    {
        public Record? Value { get; set; }
        Record? IGrainState<Record?>.State { get => Value; set => Value = value; }
        public string? ETag { get; set; }
        public bool RecordExists { get; set; }
    }

    sealed class JsonSerializer : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => BinaryData.FromBytes(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(input));

        public T Deserialize<T>(BinaryData input) => System.Text.Json.JsonSerializer.Deserialize<T>(input.ToArray())!;
    }
}
