namespace FuzzFarm.Grains.Contracts;

/// <summary>A program that reached new coverage, with how many features it added where it was found.</summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.CorpusProgram")]
public sealed record CorpusProgram(
    [property: Id(0)] string Text,
    [property: Id(1)] int Features);
