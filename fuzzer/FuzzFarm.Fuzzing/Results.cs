namespace FuzzFarm.Fuzzing;

/// <summary>What one <see cref="FuzzEngine.RunBatch"/> did: executions run, inputs that reached new coverage, new signatures.</summary>
public sealed record BatchResult(int Executions, IReadOnlyList<CorpusInput> NewInputs, IReadOnlyList<Finding> Findings);

/// <summary>A program that reached <paramref name="NewFeatures"/> coverage features this engine had not seen.</summary>
public sealed record CorpusInput(string ProgramText, int NewFeatures);

/// <summary>The first sighting of a violation signature in an engine: the program (canonical text) and the line that violated.</summary>
public sealed record Finding(string Signature, string Kind, string ProgramText, int Line);
