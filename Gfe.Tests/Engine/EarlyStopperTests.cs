using Gfe.Engine.Search;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>The decisions of ASHA and the median rule against examples worked by hand.</summary>
public sealed class EarlyStopperTests
{
    [Fact]
    public void Asha_promotes_the_best_third_of_those_at_the_rung_as_they_arrive_and_never_takes_a_decision_twice()
    {
        var asha = new EarlyStopper(EarlyStopRule.Asha, reduction: 3);

        // A, B reach rung 1: floor(2/3) = 0 may go on.
        asha.Record("A", 1, 0.5);
        asha.Record("B", 1, 0.4);
        Assert.Null(asha.NextPromotion(lastRung: 3));
        // C arrives: floor(3/3) = 1, the best of {A .5, B .4, C .3} is C.
        asha.Record("C", 1, 0.3);
        Assert.Equal(("C", 1), asha.NextPromotion(3));
        Assert.Null(asha.NextPromotion(3));
        // D .35, E .6, F .45: floor(6/3) = 2, the best two are C (taken) and D.
        asha.Record("D", 1, 0.35);
        asha.Record("E", 1, 0.6);
        Assert.Null(asha.NextPromotion(3));
        asha.Record("F", 1, 0.45);
        Assert.Equal(("D", 1), asha.NextPromotion(3));
        // G .2: floor(7/3) = 2, the best two are G and C; G goes on, D keeps its promotion.
        asha.Record("G", 1, 0.2);
        Assert.Equal(("G", 1), asha.NextPromotion(3));
        Assert.Null(asha.NextPromotion(3));
        Assert.True(asha.IsPromoted("D", 1));
        Assert.False(asha.Continues("D", 1));

        // Rung 2: C .25, D .3, G .15: floor(3/3) = 1: G goes on to rung 3, the last (the end of training).
        asha.Record("C", 2, 0.25);
        asha.Record("D", 2, 0.3);
        asha.Record("G", 2, 0.15);
        Assert.Equal(("G", 2), asha.NextPromotion(3));
        // Nothing is promoted from the last rung, and a second record of a rung does not change it.
        asha.Record("G", 3, 0.1);
        asha.Record("G", 2, 0.9);
        Assert.Null(asha.NextPromotion(3));
        Assert.Equal([("G", 0.15), ("C", 0.25), ("D", 0.3)], asha.At(2));
    }

    [Fact]
    public void Asha_searches_the_highest_rung_first()
    {
        var asha = new EarlyStopper(EarlyStopRule.Asha, reduction: 2);
        asha.Record("A", 1, 0.5);
        asha.Record("B", 1, 0.4);
        asha.Record("B", 2, 0.3);
        asha.Record("C", 2, 0.2);

        // Both rungs allow one promotion; rung 2's (C) comes first.
        Assert.Equal(("C", 2), asha.NextPromotion(3));
        Assert.Equal(("B", 1), asha.NextPromotion(3));
    }

    [Fact]
    public void The_median_rule_decides_on_arrival_and_a_stopped_configuration_stays_stopped()
    {
        var median = new EarlyStopper(EarlyStopRule.Median, reduction: 3);

        median.Record("A", 1, 0.5);    // median of {.5} = .5: goes on
        median.Record("B", 1, 0.6);    // median of {.5, .6} = .55: stops
        median.Record("C", 1, 0.4);    // median of {.4, .5, .6} = .5: goes on
        median.Record("D", 1, 0.9);    // median {.4 .5 .6 .9} = .55: stops
        median.Record("E", 1, 0.95);   // median .6: stops; B (.6) is not revived by it

        Assert.Equal(("C", 1), median.NextPromotion(2));
        Assert.Equal(("A", 1), median.NextPromotion(2));
        Assert.Null(median.NextPromotion(2));
        Assert.False(median.Continues("B", 1));
    }

    [Fact]
    public void Asha_rungs_grow_by_the_reduction_and_median_rungs_are_even_both_ending_with_full_training()
    {
        Assert.Equal([300L, 900, 2700], EarlyStopper.RungImages(EarlyStopRule.Asha, 300, 3, 2700));
        Assert.Equal([300L, 900, 2000], EarlyStopper.RungImages(EarlyStopRule.Asha, 300, 3, 2000));
        Assert.Equal([300L, 600, 900, 1000], EarlyStopper.RungImages(EarlyStopRule.Median, 300, 3, 1000));
        Assert.Equal([500L], EarlyStopper.RungImages(EarlyStopRule.Asha, 800, 3, 500));
    }
    [Fact]
    public void Peeking_shows_the_next_promotion_without_taking_it()
    {
        var asha = new EarlyStopper(EarlyStopRule.Asha, reduction: 2);
        asha.Record("A", 1, 0.5);
        asha.Record("B", 1, 0.4);

        Assert.Equal(("B", 1), asha.PeekPromotion(3));
        Assert.Equal(("B", 1), asha.PeekPromotion(3));
        Assert.False(asha.IsPromoted("B", 1));
        Assert.Equal(("B", 1), asha.NextPromotion(3));
        Assert.Null(asha.PeekPromotion(3));
    }

    [Fact]
    public void A_segment_costs_the_images_from_the_rung_before()
    {
        long[] rungs = [25, 75, 225, 300];
        Assert.Equal([25L, 50L, 150L, 75L], Enumerable.Range(1, 4).Select(r => EarlyStopper.SegmentImages(rungs, r)));
        Assert.Throws<ArgumentOutOfRangeException>(() => EarlyStopper.SegmentImages(rungs, 5));
    }

    [Fact]
    public void The_budget_refuses_the_first_start_past_a_limit_and_says_which()
    {
        var budget = new SearchBudget(MaxRuns: 10, MaxHours: 2, MaxTrainImages: 1000);

        Assert.Null(budget.Refusal(TimeSpan.FromHours(1.9), runsStarted: 8, imagesCommitted: 900, runs: 2, images: 100));
        Assert.Equal("not started: budget.maxTrainImages (1000) reached with 901 images committed",
            budget.Refusal(TimeSpan.Zero, 0, 901, 0, 100));
        Assert.Equal("not started: budget.maxRuns (10) reached with 9 runs started", budget.Refusal(TimeSpan.Zero, 9, 0, 2, 0));
        Assert.Equal("not started: budget.maxHours (2 h) reached", budget.Refusal(TimeSpan.FromHours(2), 0, 0, 1, 1));
        // A promotion starts no run: it is refused for its images only.
        Assert.Null(budget.Refusal(TimeSpan.Zero, 10, 0, 0, 100));
        Assert.Null(SearchBudget.None.Refusal(TimeSpan.FromDays(9), int.MaxValue - 1, long.MaxValue / 2, 1, 1));
    }
}
