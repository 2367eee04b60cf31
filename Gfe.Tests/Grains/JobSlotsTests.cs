using Gfe.Grains;
using Xunit;

namespace Gfe.Tests.Grains;

public sealed class JobSlotsTests
{
    [Fact]
    public void No_more_slots_are_reserved_than_the_capacity_until_one_is_freed()
    {
        var slots = new JobSlots(2);
        var first = slots.TryReserve("a");
        var second = slots.TryReserve("b");

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(slots.TryReserve("c"));
        Assert.Equal(0, slots.Free);
        Assert.Equal(["a", "b"], slots.HeldKeys.Order());

        first!.Dispose();
        Assert.Equal(1, slots.Free);
        Assert.NotNull(slots.TryReserve("c"));
        Assert.Equal(["b", "c"], slots.HeldKeys.Order());
    }

    [Fact]
    public void A_run_holds_at_most_one_slot()
    {
        var slots = new JobSlots(3);
        Assert.NotNull(slots.TryReserve("a"));
        Assert.Null(slots.TryReserve("a"));
        Assert.Equal(1, slots.InUse);
    }

    [Fact]
    public void Only_a_reserved_slot_can_be_claimed_and_only_once_and_claims_count_as_executions()
    {
        var slots = new JobSlots(2);
        var reserved = slots.TryReserve("a")!;

        Assert.Null(slots.Claim("b"));
        var claimed = slots.Claim("a");
        Assert.Same(reserved, claimed);
        Assert.True(reserved.Claimed);
        Assert.Null(slots.Claim("a"));
        Assert.Equal(1, slots.Granted);
    }

    [Fact]
    public void Disposing_a_slot_twice_frees_it_once()
    {
        var slots = new JobSlots(2);
        var slot = slots.TryReserve("a")!;
        var other = slots.TryReserve("b")!;
        slot.Dispose();
        var again = slots.TryReserve("a")!;
        slot.Dispose();

        Assert.Equal(2, slots.InUse);
        Assert.Equal(["a", "b"], slots.HeldKeys.Order());
        again.Dispose();
        other.Dispose();
        Assert.Equal(0, slots.InUse);
    }

    [Fact]
    public async Task A_freed_slot_wakes_a_waiting_puller_before_its_timeout()
    {
        var slots = new JobSlots(1);
        var slot = slots.TryReserve("a")!;
        var waiting = slots.WaitForFreedSlot(TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        slot.Dispose();

        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, slots.Free);
    }

    [Fact]
    public void A_silo_without_slots_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new JobSlots(0));
    }
}
