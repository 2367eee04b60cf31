using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Gfe.Grains;

/// <summary>What a write does when the stored state was written by someone else since this activation read it.</summary>
public enum WriteConflict
{
    /// <summary>Throw <see cref="InconsistentStateException"/>: another activation owns the state (a run grain).</summary>
    Throw,

    /// <summary>Take the stored version and write over it: this activation's state is the one that counts (the run
    /// queue, whose memory is authoritative while it is active).</summary>
    Overwrite,
}

/// <summary>
/// Writes one grain's persistent state so that storage outages (Redis restarting, a network blip) lose nothing:
/// <see cref="Write"/> retries a failed attempt after <see cref="StorageRetry"/>'s delays until it is stored or its
/// token is cancelled. A version conflict is not retried (with <see cref="WriteConflict.Throw"/>), since it means
/// another activation took the state over, unless an earlier attempt failed without an answer: such an attempt may
/// have been stored after all, which leaves this activation's ETag stale. The state's <see cref="IWriteToken"/> tells
/// the two apart: if the stored token is one of those unconfirmed attempts, the state is still ours.
/// <para>Used from the grain's scheduler only (one write at a time), like the state itself.</para>
/// </summary>
public sealed class StateWriter<T>(IPersistentState<T> state, WriteConflict onConflict, ILogger logger, string what)
    where T : class, IWriteToken
{
    /// <summary>Failed attempts logged at warning level; after that only every 20th, so that a long outage does not
    /// flood the log.</summary>
    const int LoudFailures = 3;

    /// <summary>Tokens of attempts that failed without an answer since the last confirmed write.</summary>
    readonly HashSet<string> unconfirmed = new(StringComparer.Ordinal);

    public StorageRetry Retry { get; init; } = StorageRetry.Default;

    /// <summary>Writes the state, retrying until it is stored. Throws <see cref="InconsistentStateException"/> when
    /// another activation owns the state (with <see cref="WriteConflict.Throw"/>), and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancel"/> ends the wait; the state is then
    /// unsaved, and a later write stores it.</summary>
    public async Task Write(CancellationToken cancel)
    {
        int failures = 0;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (await Attempt() is not { } failure)
            {
                if (failures > 0) logger.LogInformation("{What} was saved after {Failures} failed attempts", what, failures);
                return;
            }
            failures++;
            if (failures <= LoudFailures || failures % 20 == 0)
                logger.LogWarning("{What} could not be saved (attempt {Attempt}: {Error}); retrying until the storage is back",
                    what, failures, Describe(failure));
            await Task.Delay(Retry.DelayAfter(failures), cancel);
        }
    }

    /// <summary>One attempt, for writes that may be skipped (progress): returns the error when it failed, and the
    /// next write stores the state anyway. Throws <see cref="InconsistentStateException"/> as <see cref="Write"/>.</summary>
    public async Task<Exception?> TryWrite() => await Attempt();

    /// <summary>One write, plus the reads that a conflict after an unanswered attempt needs; null when stored.</summary>
    async Task<Exception?> Attempt()
    {
        // A conflict resolved in our favour refreshes the ETag, after which the write goes through at once.
        for (int conflicts = 0; ; conflicts++)
        {
            var token = Guid.NewGuid().ToString("N");
            state.State.WriteToken = token;
            try
            {
                await state.WriteStateAsync();
                unconfirmed.Clear();
                return null;
            }
            catch (InconsistentStateException) when (onConflict == WriteConflict.Throw && unconfirmed.Count == 0)
            {
                throw;
            }
            catch (InconsistentStateException e) when (conflicts < 3)
            {
                var (stored, readError) = await ReadStored();
                if (readError is not null) return readError;
                if (onConflict == WriteConflict.Throw && !(stored?.WriteToken is { } storedToken && unconfirmed.Contains(storedToken)))
                    throw;
                if (onConflict == WriteConflict.Overwrite)
                    logger.LogWarning("{What}: the stored version was written elsewhere ({Error}); writing over it", what, e.Message);
                // The stored version is ours (or ours to replace) and the ETag is its own now: write again.
                unconfirmed.Clear();
            }
            catch (Exception e) when (e is not InconsistentStateException)
            {
                unconfirmed.Add(token);
                return e;
            }
        }
    }

    /// <summary>Reads the stored state for its token and ETag, leaving the grain's own state in place.</summary>
    async Task<(T? Stored, Exception? Error)> ReadStored()
    {
        var mine = state.State;
        try
        {
            await state.ReadStateAsync();
            return (state.RecordExists ? state.State : null, null);
        }
        catch (Exception e)
        {
            return (null, e);
        }
        finally
        {
            state.State = mine;
        }
    }

    /// <summary>The innermost error, shortened: storage providers wrap the connection error in a layer or two, and
    /// the Redis client's messages run to a screenful of diagnostics (the provider logs those itself).</summary>
    static string Describe(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        var message = e.Message.ReplaceLineEndings(" ");
        return $"{e.GetType().Name}: {(message.Length <= MessageLength ? message : message[..MessageLength] + "...")}";
    }

    const int MessageLength = 120;
}
