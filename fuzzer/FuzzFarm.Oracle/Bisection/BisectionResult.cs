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

    /// <summary>Whether the program violates on each profile, with any signature.</summary>
    public IReadOnlyDictionary<string, bool> Matrix => Results.ToDictionary(r => r.Profile, r => r.Violated, StringComparer.Ordinal);

    /// <summary>
    /// The transitions of one signature: a profile counts as violating only where the program shows it. A profile
    /// that violates with another signature is another bug's (a repro of a page_count bug that older kernels' mapcount
    /// rule also breaks did not introduce the page_count rule there).
    /// </summary>
    public BisectionResult Of(string signature) =>
        Bisector.FromVerdicts([.. Results.Select(r => r with { Violated = r.Signatures.Contains(signature) })]);

    /// <summary>
    /// Each profile where the program violates without <paramref name="signature"/>, with the first signature it shows
    /// there.
    /// </summary>
    public IReadOnlyDictionary<string, string> OtherThan(string signature) =>
        Results.Where(r => r.Violated && !r.Signatures.Contains(signature))
            .ToDictionary(r => r.Profile, r => r.Signatures[0], StringComparer.Ordinal);
}
