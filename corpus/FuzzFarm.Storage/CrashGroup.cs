namespace FuzzFarm.Storage;

/// <summary>
/// All reports of one signature in a campaign. <see cref="Profiles"/> are the profiles it was seen on while fuzzing;
/// the triage fields (minimized program, per-profile replay matrix, introduced/fixed in) are empty until triage ran.
/// </summary>
public sealed record CrashGroup(
    long Id,
    string Campaign,
    string Signature,
    string Kind,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long Hits,
    IReadOnlyList<string> Profiles,
    string? MinimizedText,
    IReadOnlyDictionary<string, bool> Matrix,
    IReadOnlyList<string> IntroducedIn,
    IReadOnlyList<string> FixedIn,
    DateTimeOffset? TriagedAt);

/// <summary>One stored report of a group.</summary>
public sealed record CrashInstance(string ReportId, long GroupId, string Profile, int Machine, string ProgramText, DateTimeOffset ObservedAt);
