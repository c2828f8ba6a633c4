using FuzzFarm.Storage;

namespace FuzzFarm.Testing;

/// <summary>
/// The PostgreSQL server the tests use: <c>FUZZFARM_PG</c> when set, else the private one of deploy/local/postgres.sh,
/// started once per test process.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<Task<string>> Server = new(() => ConnectionResolver.ResolveAsync(null, CancellationToken.None));

    /// <summary>A connection string to the server (its own database); tests create their own databases from it.</summary>
    public static Task<string> ConnectionStringAsync() => Server.Value;
}
