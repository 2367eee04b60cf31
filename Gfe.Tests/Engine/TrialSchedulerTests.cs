using Gfe.Engine.Search;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>What a search starts and promotes next, and what its budget pays, against an example worked by hand.</summary>
public sealed class TrialSchedulerTests
{
    sealed class Ledger : ITrialLedger
    {
        public IDictionary<string, int> Training { get; } = new Dictionary<string, int>();
        public ISet<string> Failed { get; } = new HashSet<string>();
        public int NextTrial { get; set; }
        public long ImagesCommitted { get; set; }
        public int RunsStarted { get; set; }
        public string? BudgetReached { get; set; }
        public DateTime? StartedUtc { get; init; } = DateTime.UnixEpoch;
        public List<(string Trial, int FromRung)> Promotions { get; } = [];
        public void LogPromotion(string trial, int fromRung) => Promotions.Add((trial, fromRung));
    }

    // Three trials of two replicates, ASHA rungs 10, 20, 40 images (reduction 2): segments cost 20, 20 and 40 images.
    static readonly TrialShape[] Trials = [.. new[] { "A", "B", "C" }.Select(n => new TrialShape(n, 2, [10, 20, 40]))];

    static readonly DateTime Now = DateTime.UnixEpoch.AddMinutes(1);

    [Fact]
    public void Starts_and_promotions_are_paid_until_the_first_that_does_not_fit()
    {
        var ledger = new Ledger();
        var asha = new EarlyStopper(EarlyStopRule.Asha, 2);
        var budget = new SearchBudget(null, null, MaxTrainImages: 70);

        // One at a time: A starts (20 images).
        Assert.Equal([("A", 1)], TrialScheduler.Fill(ledger, asha, Trials, 1, budget, Now).Started);
        Assert.Equal((20, 2), (ledger.ImagesCommitted, ledger.RunsStarted));
        // Nothing more while A trains.
        Assert.Equal((0, false), (TrialScheduler.Fill(ledger, asha, Trials, 1, budget, Now).Started.Count, TrialScheduler.Fill(ledger, asha, Trials, 1, budget, Now).Changed));

        // A at rung 1 (0.5): floor(1/2) = 0 go on; B starts (40 images paid).
        ledger.Training.Clear();
        asha.Record("A", 1, 0.5);
        Assert.Equal([("B", 1)], TrialScheduler.Fill(ledger, asha, Trials, 1, budget, Now).Started);
        // B at rung 1 (0.4): floor(2/2) = 1, B is promoted to rung 2 for 20 images (60 paid), though C is still new.
        ledger.Training.Clear();
        asha.Record("B", 1, 0.4);
        Assert.Equal([("B", 2)], TrialScheduler.Fill(ledger, asha, Trials, 1, budget, Now).Started);
        Assert.Equal([("B", 1)], ledger.Promotions);
        Assert.Equal((60, 4), (ledger.ImagesCommitted, ledger.RunsStarted));

        // B at rung 2: alone there, nobody goes on; C would cost 20 more, 80 > 70: the scheduling ends, nothing is
        // started, and it stays ended.
        ledger.Training.Clear();
        asha.Record("B", 2, 0.3);
        var (started, changed) = TrialScheduler.Fill(ledger, asha, Trials, 1, budget, Now);
        Assert.Empty(started);
        Assert.True(changed);
        Assert.Equal("not started: budget.maxTrainImages (70) reached with 60 images committed", ledger.BudgetReached);
        Assert.Equal(2, ledger.NextTrial);
        asha.Record("X", 2, 0.1);
        Assert.Empty(TrialScheduler.Fill(ledger, asha, Trials, 1, SearchBudget.None, Now).Started);
    }

    [Fact]
    public void A_refused_promotion_is_not_taken_and_a_completed_or_failed_trial_trains_nothing()
    {
        var ledger = new Ledger { NextTrial = 3 };
        var asha = new EarlyStopper(EarlyStopRule.Asha, 2);
        asha.Record("A", 1, 0.1);
        asha.Record("B", 1, 0.2);
        ledger.Failed.Add("A");

        // A is promoted (logged) but failed, so it trains nothing; B is not promoted (floor(2/2) = 1).
        var (started, changed) = TrialScheduler.Fill(ledger, asha, Trials, 2, SearchBudget.None, Now);
        Assert.Empty(started);
        Assert.True(changed);
        Assert.Equal([("A", 1)], ledger.Promotions);

        // C at rung 1 (0.05), then at rung 2 with D: C's promotion from rung 2 (the highest first) costs 2 x 20 = 40
        // images, over a budget of 30: refused, and the rule still has it to give.
        asha.Record("C", 1, 0.05);
        asha.Record("D", 1, 0.3);
        asha.Record("C", 2, 0.04);
        asha.Record("D", 2, 0.5);
        var peeked = asha.PeekPromotion(3);
        var refused = TrialScheduler.Fill(ledger, asha, [.. Trials, new TrialShape("D", 2, [10, 20, 40])], 2, new SearchBudget(null, null, 30), Now);
        Assert.Equal(("C", 2), peeked);
        Assert.Empty(refused.Started);
        Assert.Equal("not started: budget.maxTrainImages (30) reached with 0 images committed", ledger.BudgetReached);
        Assert.Equal(("C", 2), asha.PeekPromotion(3));
    }

    [Fact]
    public void Hours_count_from_the_start_of_the_search()
    {
        var ledger = new Ledger();
        var budget = new SearchBudget(null, MaxHours: 1, null);

        Assert.Single(TrialScheduler.Fill(ledger, new EarlyStopper(EarlyStopRule.Asha, 2), Trials, 1, budget, DateTime.UnixEpoch.AddMinutes(59)).Started);
        ledger.Training.Clear();
        Assert.Empty(TrialScheduler.Fill(ledger, new EarlyStopper(EarlyStopRule.Asha, 2), Trials, 1, budget, DateTime.UnixEpoch.AddMinutes(60)).Started);
        Assert.Equal("not started: budget.maxHours (1 h) reached", ledger.BudgetReached);
    }
}
