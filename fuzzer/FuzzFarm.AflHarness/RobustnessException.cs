namespace FuzzFarm.AflHarness;

/// <summary>Thrown when the parser or the replay path breaks a promise (as opposed to rejecting bad input, which is fine).</summary>
public sealed class RobustnessException(string message) : Exception(message);
