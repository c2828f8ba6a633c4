using System.Collections.Immutable;

namespace FuzzFarm.Oracle.Bisection;

/// <summary>
/// A program replayed on an ordered list of profiles (machine.md §4): <see cref="Introduced"/> holds each profile
/// where the verdict turns from ok to violation (the first profile counts if it violates), <see cref="Fixed"/> each
/// where it turns back.
/// </summary>
public sealed record BisectionResult(
    ImmutableArray<ProfileVerdict> Results,
    ImmutableArray<string> Introduced,
    ImmutableArray<string> Fixed)
{
    public bool AnyViolation => Introduced.Length > 0;
}
