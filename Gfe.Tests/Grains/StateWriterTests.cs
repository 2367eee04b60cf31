using System.Text.Json;
using Gfe.Grains;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// <see cref="StateWriter{T}"/> against a storage that fails on demand: writes outlast an outage, an attempt stored
/// without its answer is told apart from another activation's write, and cancelling ends the wait.
/// </summary>
public sealed class StateWriterTests
{
    static readonly StorageRetry Quick = new(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5));

    [Fact]
    public async Task A_write_is_retried_through_failures_until_it_is_stored()
    {
        var store = new FlakyStore { FailNext = 5 };
        var state = new FakeState(store) { State = { Text = "outcome" } };

        await Writer(state).Write(CancellationToken.None);

        Assert.Equal(6, store.Attempts);
        Assert.Equal("outcome", store.Read()?.Text);
    }

    [Fact]
    public async Task An_attempt_stored_without_its_answer_is_recognised_and_the_newer_state_written_over_it()
    {
        var store = new FlakyStore { FailNext = 1, StoreFailed = true };
        var state = new FakeState(store) { State = { Text = "progress" } };
        var writer = Writer(state);

        // The answer to the progress write is lost, but the write was stored: the ETag in hand is stale now.
        Assert.NotNull(await writer.TryWrite());
        Assert.Equal("progress", store.Read()?.Text);
        state.State.Text = "outcome";
        await writer.Write(CancellationToken.None);

        Assert.Equal("outcome", store.Read()?.Text);
        Assert.Equal("outcome", state.State.Text);
    }

    [Fact]
    public async Task Another_activations_write_is_a_conflict()
    {
        var store = new FlakyStore();
        var state = new FakeState(store) { State = { Text = "mine" } };
        await new FakeState(store) { State = { Text = "theirs" } }.WriteStateAsync();

        await Assert.ThrowsAsync<InconsistentStateException>(() => Writer(state).Write(CancellationToken.None));
        Assert.Equal("theirs", store.Read()?.Text);
    }

    [Fact]
    public async Task Another_activations_write_after_a_failed_attempt_is_still_a_conflict()
    {
        var store = new FlakyStore { FailNext = 1 };
        var state = new FakeState(store) { State = { Text = "mine" } };
        var writer = Writer(state);
        Assert.NotNull(await writer.TryWrite());
        await new FakeState(store) { State = { Text = "theirs" } }.WriteStateAsync();

        await Assert.ThrowsAsync<InconsistentStateException>(() => writer.Write(CancellationToken.None));
        Assert.Equal("theirs", store.Read()?.Text);
        Assert.Equal("mine", state.State.Text);
    }

    [Fact]
    public async Task With_overwrite_the_writers_state_wins_a_conflict()
    {
        var store = new FlakyStore();
        var state = new FakeState(store) { State = { Text = "queue" } };
        await new FakeState(store) { State = { Text = "stale" } }.WriteStateAsync();

        await new StateWriter<Note>(state, WriteConflict.Overwrite, NullLogger.Instance, "test") { Retry = Quick }.Write(CancellationToken.None);

        Assert.Equal("queue", store.Read()?.Text);
    }

    [Fact]
    public async Task Cancelling_ends_the_retries()
    {
        var store = new FlakyStore { FailNext = int.MaxValue };
        var state = new FakeState(store) { State = { Text = "outcome" } };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Writer(state).Write(cancel.Token));
        Assert.True(store.Attempts > 1);
        Assert.Null(store.Read());
    }

    static StateWriter<Note> Writer(FakeState state) => new(state, WriteConflict.Throw, NullLogger.Instance, "test") { Retry = Quick };

    public sealed class Note : IWriteToken
    {
        public string Text { get; set; } = "";
        public string? WriteToken { get; set; }
    }

    /// <summary>One stored state with an ETag, as JSON (so no object is shared), that fails writes on demand.</summary>
    sealed class FlakyStore
    {
        public string? Json;
        public string? ETag;

        /// <summary>How many of the next writes fail.</summary>
        public int FailNext;

        /// <summary>Whether a failing write is stored all the same (its answer lost on the way back).</summary>
        public bool StoreFailed;

        public int Attempts;

        public Note? Read() => Json is null ? null : JsonSerializer.Deserialize<Note>(Json);
    }

    sealed class FakeState(FlakyStore store) : IPersistentState<Note>
    {
        public Note State { get; set; } = new();
        public string? Etag { get; private set; }
        public bool RecordExists { get; private set; }

        public Task ReadStateAsync()
        {
            State = store.Read() ?? new Note();
            Etag = store.ETag;
            RecordExists = store.Json is not null;
            return Task.CompletedTask;
        }

        public Task WriteStateAsync()
        {
            store.Attempts++;
            if (store.ETag != Etag) throw new InconsistentStateException("written elsewhere", store.ETag ?? "", Etag ?? "");
            bool fail = store.FailNext > 0;
            if (fail) store.FailNext--;
            if (fail && !store.StoreFailed) throw new IOException("storage down");
            store.Json = JsonSerializer.Serialize(State);
            store.ETag = Guid.NewGuid().ToString("N");
            if (fail) throw new IOException("connection lost before the answer");
            Etag = store.ETag;
            RecordExists = true;
            return Task.CompletedTask;
        }

        public Task ClearStateAsync() => throw new NotSupportedException();
    }
}
