namespace FuzzFarm.Grains.Contracts;

/// <summary>
/// A program that reached new coverage, with how many features it added where it was found and every feature it
/// reaches (sorted, distinct; the hub keeps it only if one of them is new to the hub).
/// </summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.CorpusProgram")]
public sealed record CorpusProgram(
    [property: Id(0)] string Text,
    [property: Id(1)] int Features,
    [property: Id(2)] uint[] FeatureSet);
