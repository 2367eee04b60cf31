using Gfe.Abstractions;

namespace Gfe.Tests.Client;

/// <summary>One scripted run grain of <see cref="FakeRunGrains"/>.</summary>
public sealed class FakeRunGrain(string key, FakeRunGrains owner) : IRunGrain
{
    int polls;

    public RunSpec? Spec { get; private set; }

    public int Starts { get; private set; }

    /// <summary>Simulates a grain that lost its state (its silo died): it reports NotStarted until started again.</summary>
    public void Forget()
    {
        Spec = null;
        polls = 0;
    }

    public Task Start(RunSpec spec)
    {
        Starts++;
        Spec ??= spec;
        return Task.CompletedTask;
    }

    public int Cancels { get; private set; }

    public Task Cancel()
    {
        Cancels++;
        return Task.CompletedTask;
    }

    public bool Withdrawn { get; private set; }

    /// <summary>Withdrawn only while it is queued: before its first poll, or for good when its seed stays queued.</summary>
    public Task<bool> Withdraw(string reason)
    {
        Withdrawn = Spec is not null && (polls <= 1 || StaysQueued);
        return Task.FromResult(Withdrawn);
    }

    bool StaysQueued => Spec is not null && owner.QueuedSeeds.Contains(int.Parse(Spec.Settings["seed"]));

    public Task<RunStatus> GetStatus()
    {
        if (Spec is null)
            return Task.FromResult(new RunStatus(key, RunState.NotStarted, "", 0, 0, null, null, null, null, null, null));
        polls++;
        bool fails = owner.FailingSeeds.Contains(int.Parse(Spec.Settings["seed"]));
        var status = polls switch
        {
            _ when polls == 1 || StaysQueued || Withdrawn => new RunStatus(key, RunState.Queued, "", 0, 0, null, null, null, null, null, null),
            _ when polls == 2 || owner.NeverFinish => new RunStatus(key, RunState.Running, "train", 0.5, 240, 0.3, "fake", null, null, DateTime.UtcNow, null),
            _ when fails => new RunStatus(key, RunState.Failed, "train", 0.5, 240, null, "fake", "simulated failure", null, DateTime.UtcNow, DateTime.UtcNow),
            _ => new RunStatus(key, RunState.Completed, "done", 1, 480, 0.2, "fake", null,
                new RunOutcome(new() { ["simulate"] = 0.1 }, 0.2, 480, 100, new AmdSummary(0, 0, 0, 0, 0), new AmdSummary(0, 0, 0, 0, 0),
                    1, 0, [new CurveSample(480, 1, 0.2)], "simulated", "none"),
                DateTime.UtcNow, DateTime.UtcNow),
        };
        return Task.FromResult(status);
    }
}
