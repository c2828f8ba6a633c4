using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>The farm tests run one at a time: each starts several silos, and two clusters fuzzing at once on a small CI machine would only slow each other.</summary>
[CollectionDefinition(Name)]
public sealed class FarmCollection
{
    public const string Name = "farm";
}
