using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Gfe.Tests.Grains;

/// <summary>
/// Grain storage that every silo of an in-process test cluster shares, as silos of a real cluster share Redis: state
/// survives a killed silo (Orleans' memory storage keeps it in grains, which die with their silo). Each write checks
/// and renews the ETag as the real providers do, and state is kept serialized, so no two activations share objects.
/// </summary>
sealed class SharedGrainStorage(SharedGrainStorage.Entries entries, Serializer serializer) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The stored states of the cluster, by state name and grain.</summary>
    public sealed class Entries
    {
        internal readonly Dictionary<string, (byte[] Data, string ETag)> ByName = [];
    }

    static string Name(string stateName, GrainId grainId) => $"{stateName}/{grainId}";

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (entries.ByName)
        {
            if (entries.ByName.TryGetValue(Name(stateName, grainId), out var entry))
            {
                grainState.State = serializer.Deserialize<T>(entry.Data);
                grainState.ETag = entry.ETag;
                grainState.RecordExists = true;
            }
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (entries.ByName)
        {
            var name = Name(stateName, grainId);
            CheckETag(name, grainState.ETag);
            var etag = Guid.NewGuid().ToString("N");
            entries.ByName[name] = (serializer.SerializeToArray(grainState.State), etag);
            grainState.ETag = etag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (entries.ByName)
        {
            var name = Name(stateName, grainId);
            CheckETag(name, grainState.ETag);
            entries.ByName.Remove(name);
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    void CheckETag(string name, string? etag)
    {
        var stored = entries.ByName.TryGetValue(name, out var entry) ? entry.ETag : null;
        if (stored != etag)
            throw new InconsistentStateException($"{name}: stored ETag {stored ?? "(none)"}, written with {etag ?? "(none)"}", stored, etag);
    }

    /// <summary>Nothing to start: Orleans registers storage providers as lifecycle participants when they are.</summary>
    public void Participate(ISiloLifecycle lifecycle) { }
}
