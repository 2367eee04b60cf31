using Gfe.Engine.Data;

namespace Gfe.Tests.Data;

/// <summary>Reports on the calling thread, unlike <see cref="Progress{T}"/>, so a test sees every step before it asserts.</summary>
public sealed class SynchronousProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
{
    public void Report(FetchProgress value) => report(value);
}
