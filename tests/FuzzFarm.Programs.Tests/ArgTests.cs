using System.Runtime.CompilerServices;
using Xunit;

namespace FuzzFarm.Programs.Tests;

/// <summary>An argument keeps a flags argument's bits in its number: each form still reads as its own.</summary>
public class ArgTests
{
    [Fact]
    public void EachFormReadsItsOwnValueInTwentyFourBytes()
    {
        var flags = Arg.Of(Flag.Private | Flag.Populate | Flag.Off);
        var number = Arg.Num((long)(Flag.Private | Flag.Populate | Flag.Off));
        var name = Arg.Ref("a", 8);

        Assert.Equal(Flag.Private | Flag.Populate | Flag.Off, flags.Flags);
        Assert.Equal(Flag.None, number.Flags);
        Assert.Equal(Flag.None, name.Flags);
        Assert.NotEqual(flags, number);
        Assert.Equal(flags, Arg.Of(Flag.Private | Flag.Populate | Flag.Off));
        Assert.Equal(24, Unsafe.SizeOf<Arg>());
    }
}
