namespace FuzzFarm.Grains.Contracts;

/// <summary>
/// A violation a machine found, sent to triage until stored. <see cref="ReportId"/> is derived from the content
/// (campaign, machine, signature, program), so a retry or a re-run of the same deterministic machine never counts twice.
/// </summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.ViolationReport")]
public sealed record ViolationReport(
    [property: Id(0)] string ReportId,
    [property: Id(1)] string Campaign,
    [property: Id(2)] string Profile,
    [property: Id(3)] int Machine,
    [property: Id(4)] string Signature,
    [property: Id(5)] string Kind,
    [property: Id(6)] string ProgramText,
    [property: Id(7)] DateTimeOffset ObservedAt);
