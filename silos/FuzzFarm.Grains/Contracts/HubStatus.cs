namespace FuzzFarm.Grains.Contracts;

/// <summary>
/// The campaign-wide corpus: its size, what it resumed from the store, rows it had to skip, and the programs machines
/// pushed that it did not keep because its corpus already reaches every feature they reach. <see cref="Resumed"/> is
/// what it took from the store for the machines to replay, <see cref="Pruned"/> the stored programs it left out because
/// the resumed ones reach all their features.
/// </summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.HubStatus")]
public sealed record HubStatus(
    [property: Id(0)] int CorpusSize,
    [property: Id(1)] bool Loaded,
    [property: Id(2)] int Resumed,
    [property: Id(3)] int CorruptRows,
    [property: Id(4)] int PendingPersist,
    [property: Id(5)] int Redundant,
    [property: Id(6)] int Pruned)
{
    public static HubStatus Unavailable { get; } = new(0, false, 0, 0, 0, 0, 0);
}
