namespace FuzzFarm.Storage;

/// <summary>
/// One violation as a machine reported it. <see cref="ReportId"/> is chosen by the reporter and unique per report, so
/// resending the same report (after a timeout, a silo restart) is recognised and counted once.
/// </summary>
public sealed record CrashReport(
    string ReportId,
    string Campaign,
    string Signature,
    string Kind,
    string Profile,
    int Machine,
    string ProgramText,
    DateTimeOffset ObservedAt);

/// <summary>What recording a report did: its group, whether the report and the group are new, whether triage has run.</summary>
public sealed record CrashRecorded(long GroupId, bool NewReport, bool NewGroup, bool Triaged);
