using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>
/// The farm's PostgreSQL: validates the connection string, connects, applies missing migrations, and hands out the
/// stores. One instance per process; it owns the connection pool.
/// </summary>
public sealed class FarmDatabase : IAsyncDisposable
{
    private FarmDatabase(NpgsqlDataSource dataSource, string description, RetryPolicy retry)
    {
        DataSource = dataSource;
        Description = description;
        Retry = retry;
        Campaigns = new CampaignStore(dataSource, retry);
        Crashes = new CrashStore(dataSource, retry);
        Corpus = new CorpusStore(dataSource, retry);
        Stats = new StatStore(dataSource, retry);
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The retry policy the stores use; queries added outside the stores should use it too.</summary>
    public RetryPolicy Retry { get; }

    /// <summary><c>host:port/database as user</c>: for messages; never the password.</summary>
    public string Description { get; }

    public CampaignStore Campaigns { get; }

    public CrashStore Crashes { get; }

    public CorpusStore Corpus { get; }

    public StatStore Stats { get; }

    public static Task<FarmDatabase> OpenAsync(string connectionString, CancellationToken ct) =>
        OpenAsync(connectionString, RetryPolicy.Default, ct);

    /// <summary>
    /// Fails fast with a one-line <see cref="StorageException"/> on a malformed connection string or an unreachable or
    /// refusing server, before anything could be written (so nothing is lost by a wrong <c>--db</c>).
    /// </summary>
    public static async Task<FarmDatabase> OpenAsync(string connectionString, RetryPolicy retry, CancellationToken ct)
    {
        var builder = Parse(connectionString);
        var description = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username} as {builder.Username ?? "(default user)"}";
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "fuzzfarm";
        }
        var dataSource = NpgsqlDataSource.Create(builder);
        try
        {
            await CheckReachableAsync(dataSource, description, ct);
            await MigrationRunner.ApplyAsync(dataSource, Migration.All, ct);
            return new FarmDatabase(dataSource, description, retry);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    private static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new StorageException("the database connection string is empty", invalidInput: true);
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new StorageException($"invalid database connection string: {StorageException.OneLine(e)}", invalidInput: true, e);
        }
        catch (KeyNotFoundException e)
        {
            // Npgsql's way of refusing an unknown keyword with an empty value ("Foo=;"): its message names nothing.
            throw new StorageException($"invalid database connection string: {UnknownKeyword(connectionString)}", invalidInput: true, e);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new StorageException("invalid database connection string: no Host", invalidInput: true);
        }
        return builder;
    }

    private static string UnknownKeyword(string connectionString)
    {
        var known = new NpgsqlConnectionStringBuilder();
        foreach (var part in connectionString.Split(';'))
        {
            var key = part.Split('=', 2)[0].Trim();
            if (key.Length > 0 && !known.ContainsKey(key))
            {
                return $"unknown keyword '{key}'";
            }
        }
        return "an unknown keyword";
    }

    private static async Task CheckReachableAsync(NpgsqlDataSource dataSource, string description, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or ArgumentException or InvalidOperationException)
        {
            var wrongInput = e is PostgresException { SqlState: "28P01" or "28000" or "3D000" } or ArgumentException;
            throw new StorageException(
                $"cannot connect to PostgreSQL at {description}: {StorageException.OneLine(e)}", wrongInput, e);
        }
    }
}
