namespace Gfe.Client.Commands;

/// <summary>Reports progress on the reporting thread at once. <see cref="Progress{T}"/> would post reports to the
/// thread pool, where they can arrive late and out of order.</summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
