namespace FuzzFarm.Grains.Contracts;

/// <summary>
/// Hub entries from a cursor on. <see cref="Next"/> is the cursor for the following pull; cursors are only meaningful
/// within one activation of the hub, named by <see cref="Epoch"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.CorpusSlice")]
public sealed record CorpusSlice(
    [property: Id(0)] IReadOnlyList<string> Programs,
    [property: Id(1)] int Next,
    [property: Id(2)] Guid Epoch);
