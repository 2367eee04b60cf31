using Gfe.Grains;
using Xunit;

namespace Gfe.Tests.Grains;

public sealed class JobSlotsTests
{
    [Fact]
    public async Task Slots_beyond_the_capacity_wait_until_a_held_slot_is_freed()
    {
        var slots = new JobSlots(2);
        var first = await slots.AcquireAsync(CancellationToken.None);
        var second = await slots.AcquireAsync(CancellationToken.None);
        var third = slots.AcquireAsync(CancellationToken.None);

        Assert.False(third.IsCompleted);
        Assert.Equal(2, slots.InUse);

        first.Dispose();
        using var granted = await third;
        Assert.Equal(2, slots.InUse);
        Assert.Equal(3, slots.Granted);
        second.Dispose();
        Assert.Equal(1, slots.InUse);
    }

    [Fact]
    public async Task Disposing_a_slot_twice_frees_it_once()
    {
        var slots = new JobSlots(1);
        var slot = await slots.AcquireAsync(CancellationToken.None);
        slot.Dispose();
        slot.Dispose();

        var again = await slots.AcquireAsync(CancellationToken.None);
        Assert.False(slots.AcquireAsync(CancellationToken.None).IsCompleted);
        again.Dispose();
    }

    [Fact]
    public async Task A_cancelled_wait_takes_no_slot()
    {
        var slots = new JobSlots(1);
        using var held = await slots.AcquireAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = slots.AcquireAsync(cancel.Token);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, slots.InUse);
        Assert.Equal(1, slots.Granted);
    }

    [Fact]
    public void A_silo_without_slots_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new JobSlots(0));
    }
}
