using Gfe.Abstractions;
using Gfe.Engine.Runs;

namespace Gfe.Grains;

/// <summary>Reads a submitted <see cref="RunSpec"/> back into the engine's <see cref="RunConfig"/>.</summary>
public static class RunSpecs
{
    /// <summary>
    /// The config of the spec, checked against its key and the grain it was sent to; a bad setting or a mismatched
    /// key throws <see cref="RunConfigException"/> naming the setting (or "key").
    /// </summary>
    public static RunConfig ToConfig(RunSpec? spec, string grainKey)
    {
        if (spec is null)
            throw new RunConfigException("key", $"run '{grainKey}' was started without a spec");
        var config = RunParameters.FromDictionary(spec.Settings ?? []);
        var key = RunKey.For(config);
        // The key names the result: a spec whose key disagrees with its settings would store the result under the
        // wrong name, so that is refused rather than trained.
        if (spec.Key != key)
            throw new RunConfigException("key", $"run spec key '{spec.Key}' does not match its settings, whose key is '{key}'");
        if (grainKey != key)
            throw new RunConfigException("key", $"the spec of run '{key}' was sent to run '{grainKey}'");
        return config;
    }
}
