namespace FuzzFarm.Telemetry;

/// <summary>A Prometheus endpoint that was asked for could not listen (port taken, host not on this machine).</summary>
public sealed class TelemetryEndpointException(string message, Exception inner) : Exception(message, inner);
