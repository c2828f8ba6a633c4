using FuzzFarm.Export.Real;

namespace FuzzFarm.Export.Tests;

/// <summary>The tests' gcc cache: under the artifacts folder of this build ($FUZZFARM_ARTIFACTS, else the tree's).</summary>
internal static class Gcc
{
    public static GccBuilder Builder { get; } = new(Path.Combine(
        Environment.GetEnvironmentVariable("FUZZFARM_ARTIFACTS") is { Length: > 0 } artifacts ? artifacts : Path.Combine(Repo.Root, "artifacts"),
        "export-c"));
}
