using System.Collections.Immutable;

namespace FuzzFarm.Oracle.Bisection;

/// <summary>One profile's outcome in a bisection: the distinct signatures in the order they first occurred.</summary>
public sealed record ProfileVerdict(string Profile, bool Violated, ImmutableArray<string> Signatures);
