namespace FuzzFarm.Storage;

/// <summary>
/// All reports of one signature in a campaign. <see cref="Profiles"/> are the profiles it was seen on while fuzzing;
/// the triage fields (minimized program, per-profile replay matrix, introduced/fixed in) are empty until triage ran.
/// <see cref="Matrix"/> says whether the repro violates at all on a profile; <see cref="OtherSignatures"/> names what it
/// shows on the profiles where it violates without the group's signature. <see cref="Hits"/> counts the stored reports
/// (each machine's first find and its finds on shorter programs); <see cref="Seen"/> every violation the machines'
/// executions showed, as of their last count sent.
/// </summary>
public sealed record CrashGroup(
    long Id,
    string Campaign,
    string Signature,
    string Kind,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long Hits,
    long Seen,
    IReadOnlyList<string> Profiles,
    string? MinimizedText,
    IReadOnlyDictionary<string, bool> Matrix,
    IReadOnlyDictionary<string, string> OtherSignatures,
    IReadOnlyList<string> IntroducedIn,
    IReadOnlyList<string> FixedIn,
    DateTimeOffset? TriagedAt);

/// <summary>One stored report of a group.</summary>
public sealed record CrashInstance(string ReportId, long GroupId, string Profile, int Machine, string ProgramText, DateTimeOffset ObservedAt);

/// <summary>A machine incarnation's running total of violations seen with one signature.</summary>
public sealed record SeenCount(string Signature, long Seen);
