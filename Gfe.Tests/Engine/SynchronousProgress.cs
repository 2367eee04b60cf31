using Gfe.Engine.Runs;

namespace Gfe.Tests.Engine;

/// <summary>Progress collected on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
public sealed class SynchronousProgress(List<RunProgress> reports, Action<RunProgress>? onReport = null) : IProgress<RunProgress>
{
    public List<RunProgress> Reports => reports;

    public void Report(RunProgress value)
    {
        reports.Add(value);
        onReport?.Invoke(value);
    }
}
