namespace FuzzFarm.Grains.Contracts;

/// <summary>One machine's counters since its activation (a machine restarted on another silo starts again from 0).</summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.MachineStatus")]
public sealed record MachineStatus(
    [property: Id(0)] int Index,
    [property: Id(1)] string Silo,
    [property: Id(2)] bool Fuzzing,
    [property: Id(3)] long Executions,
    [property: Id(4)] int CoverageFeatures,
    [property: Id(5)] int CorpusSize,
    [property: Id(6)] int Findings,
    [property: Id(7)] int PendingReports,
    [property: Id(8)] Guid Incarnation);
