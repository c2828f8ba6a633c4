namespace FuzzFarm.Storage;

/// <summary>Where the farm's database is: <c>--db</c>, else <c>FUZZFARM_PG</c>, else the private PostgreSQL it starts.</summary>
public static class ConnectionResolver
{
    public const string EnvironmentVariable = "FUZZFARM_PG";

    public static Task<string> ResolveAsync(string? dbOption, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(dbOption))
        {
            return Task.FromResult(dbOption);
        }
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return !string.IsNullOrWhiteSpace(fromEnvironment)
            ? Task.FromResult(fromEnvironment)
            : LocalPostgres.StartAsync(ct);
    }
}
