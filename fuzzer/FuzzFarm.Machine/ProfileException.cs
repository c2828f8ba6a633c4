namespace FuzzFarm.Machine;

/// <summary>A profile name or switch that does not parse; the message is the one-line error users see.</summary>
public sealed class ProfileException(string message) : Exception(message)
{
}
