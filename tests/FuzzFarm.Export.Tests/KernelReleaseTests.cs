using FuzzFarm.Export.Real;
using Xunit;

namespace FuzzFarm.Export.Tests;

public class KernelReleaseTests
{
    [Theory]
    [InlineData("6.18.44-fc-v595", "v6.15")]
    [InlineData("6.15.0", "v6.15")]
    [InlineData("6.14.11-arch1", "v6.2")]
    [InlineData("6.1.20", "v6.0")]
    [InlineData("5.19.0-46-generic", "v5.19")]
    [InlineData("5.18.12", "v5.18")]
    [InlineData("5.15.0-91-generic", "v5.12")]
    [InlineData("5.11.0", "v5.11")]
    [InlineData("5.10.7", "v5.9")]
    [InlineData("5.8.18", "v5.8")]
    [InlineData("5.7.14", "v5.7")]
    public void Release_maps_to_the_newest_profile_not_after_it(string release, string profile) =>
        Assert.Equal(profile, KernelRelease.ProfileFor(release));

    [Theory]
    [InlineData("4.19.0")]
    [InlineData("garbage")]
    [InlineData("")]
    public void Release_older_than_every_profile_or_unreadable_has_none(string release) =>
        Assert.Null(KernelRelease.ProfileFor(release));

    [Fact]
    public void This_machine_has_a_profile() => Assert.NotNull(KernelRelease.ProfileFor(KernelRelease.Current()));
}
