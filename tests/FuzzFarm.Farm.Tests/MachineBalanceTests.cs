using FuzzFarm.Grains.Placement;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>How a campaign evens out its machines over the live silos.</summary>
public sealed class MachineBalanceTests
{
    [Fact]
    public void A_silo_that_joined_gets_machines_from_the_fullest_one_only()
    {
        var plan = MachineBalance.Plan([(0, "a"), (1, "a"), (2, "a"), (3, "a"), (4, "b"), (5, "b")], ["a", "b", "c"]);
        Assert.Equal([(3, "c"), (2, "c")], plan);
    }

    [Fact]
    public void Silos_a_machine_apart_are_even_enough()
    {
        Assert.Empty(MachineBalance.Plan([(0, "a"), (1, "b"), (2, "a")], ["a", "b"]));
        Assert.Empty(MachineBalance.Plan([(0, "a"), (1, "a")], ["a"]));
    }

    [Fact]
    public void Eight_machines_on_one_of_three_silos_end_three_three_two_in_five_moves()
    {
        var plan = MachineBalance.Plan(Enumerable.Range(0, 8).Select(i => (i, "a")), ["a", "b", "c"]);
        Assert.Equal(5, plan.Count);
        Assert.Equal(5, plan.Select(m => m.Index).Distinct().Count());
        Assert.Equal(3, plan.Count(m => m.Target == "b"));
        Assert.Equal(2, plan.Count(m => m.Target == "c"));
    }

    [Fact]
    public void A_machine_on_a_silo_no_longer_live_is_left_to_placement()
    {
        // Machine 2's silo died: its next activation is placed anew, so it neither counts nor moves.
        Assert.Empty(MachineBalance.Plan([(0, "a"), (1, "b"), (2, "dead")], ["a", "b"]));
    }
}
