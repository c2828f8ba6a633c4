using System.Net;

namespace FuzzFarm.Silo.Hosting;

/// <summary>Where a cluster silo listens (on every address) and the address it advertises to its peers.</summary>
public sealed record SiloEndpoints(IPAddress Advertised, int SiloPort, int GatewayPort);
