using FuzzFarm.Export.Real;
using Xunit;

namespace FuzzFarm.Export.Tests;

public class RealOutputTests
{
    [Fact]
    public void Parses_every_line_kind()
    {
        var output = RealOutput.Parse("""
            BEGIN kernel=6.18.44-fc steps=9
            OBS line=9 thread=t0 op=load ok words=1
            OBS line=10 thread=t1 op=read violation kind=cross-process-visibility word=3 got=0x57 want=0x0 bad=1 words=512
            BLOCKED line=11 thread=t2
            UNBLOCKED line=12 thread=t0
            END rc=0

            """, 0);
        Assert.Equal("6.18.44-fc", output.Kernel);
        Assert.True(output.Ran);
        Assert.True(output.Clean);
        Assert.Equal(2, output.Observations.Count);
        Assert.True(output.Observations[0].Ok);
        Assert.Equal("cross-process-visibility", output.Observations[1].ViolationKind);
        Assert.Equal((11, "t2"), Assert.Single(output.Blocked));
        Assert.Equal((12, "t0"), Assert.Single(output.Unblocked));
    }

    [Fact]
    public void Skip_names_the_feature()
    {
        var output = RealOutput.Parse("SKIP feature=hugetlb reason=\"no free 2 MiB hugetlb page\"\nEND rc=0\n", 0);
        Assert.False(output.Ran);
        Assert.Equal("hugetlb: no free 2 MiB hugetlb page", output.Skip);
    }

    [Fact]
    public void Errors_stalls_and_a_missing_end_are_problems()
    {
        var output = RealOutput.Parse("BEGIN kernel=x steps=2\nSTALL line=3 thread=t1 step=1\n", 3);
        Assert.False(output.Clean);
        Assert.Equal(2, output.Problems.Count);
    }
}
