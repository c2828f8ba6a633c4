using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>
/// Retries an idempotent database operation while the failure is transient (server restarting, connection dropped),
/// with exponential backoff, for at most <see cref="Budget"/>. Every store write is idempotent by its natural key,
/// so a retry after a lost acknowledgement never duplicates anything.
/// </summary>
public sealed class RetryPolicy(TimeSpan budget)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>Long enough to ride out a PostgreSQL restart or a short outage.</summary>
    public static RetryPolicy Default { get; } = new(TimeSpan.FromMinutes(2));

    public TimeSpan Budget { get; } = budget;

    public async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<CancellationToken, Task<T>> operation, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                return await operation(ct);
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
            {
                if (clock.Elapsed + delay > Budget)
                {
                    throw new StorageException(
                        $"PostgreSQL unavailable for {clock.Elapsed.TotalSeconds:F0} s, giving up: {StorageException.OneLine(e)}",
                        inner: e);
                }
                // Idle pooled connections died with the server: drop them so the next attempt dials afresh.
                dataSource.Clear();
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }

    public Task RunAsync(NpgsqlDataSource dataSource, Func<CancellationToken, Task> operation, CancellationToken ct) =>
        RunAsync(dataSource, async c =>
        {
            await operation(c);
            return true;
        }, ct);

    /// <summary>Failures that a later attempt may not meet: lost connections and the server's own "not now" states.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal)   // connection exception
            || pg.SqlState is "57P01" or "57P02" or "57P03",           // admin/crash shutdown, cannot connect now
        NpgsqlException npgsql => npgsql.IsTransient
            || npgsql.InnerException is IOException or SocketException or TimeoutException,
        IOException or SocketException => true,
        _ => false,
    };
}
