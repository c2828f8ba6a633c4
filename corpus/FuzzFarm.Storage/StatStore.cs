using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>One machine's totals at one instant: what the dashboards plot over time.</summary>
public sealed record StatSample(
    string Campaign, string Silo, int Machine, DateTimeOffset At, long Executions, int Coverage, int Corpus, long Violations);

/// <summary>Per-machine stat samples. A sample is identified by (campaign, machine, time): resending it is a no-op.</summary>
public sealed class StatStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly RetryPolicy _retry;

    internal StatStore(NpgsqlDataSource dataSource, RetryPolicy retry)
    {
        _dataSource = dataSource;
        _retry = retry;
    }

    /// <summary>Counters are the machine's totals so far (executions, coverage features, corpus size, violations).</summary>
    public Task AddSampleAsync(
        string campaign, string silo, int machine, DateTimeOffset at, long executions, int coverage, int corpus, long violations,
        CancellationToken ct) =>
        _retry.RunAsync(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand("""
                INSERT INTO stat_samples (campaign, silo, machine, at, executions, coverage, corpus, violations)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (campaign, machine, at) DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            command.Parameters.Add(new NpgsqlParameter { Value = silo });
            command.Parameters.Add(new NpgsqlParameter { Value = machine });
            command.Parameters.Add(new NpgsqlParameter { Value = Timestamps.ToDb(at) });
            command.Parameters.Add(new NpgsqlParameter { Value = executions });
            command.Parameters.Add(new NpgsqlParameter { Value = coverage });
            command.Parameters.Add(new NpgsqlParameter { Value = corpus });
            command.Parameters.Add(new NpgsqlParameter { Value = violations });
            try
            {
                await command.ExecuteNonQueryAsync(c);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                throw new StorageException($"stats: no campaign named '{campaign}'", inner: e);
            }
        }, ct);

    /// <summary>The campaign's samples in time order.</summary>
    public Task<IReadOnlyList<StatSample>> ListAsync(string campaign, CancellationToken ct) =>
        _retry.RunAsync<IReadOnlyList<StatSample>>(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT campaign, silo, machine, at, executions, coverage, corpus, violations
                FROM stat_samples WHERE campaign = $1 ORDER BY at, machine
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            await using var reader = await command.ExecuteReaderAsync(c);
            var samples = new List<StatSample>();
            while (await reader.ReadAsync(c))
            {
                samples.Add(new StatSample(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                    Timestamps.FromDb(reader.GetDateTime(3)), reader.GetInt64(4), reader.GetInt32(5), reader.GetInt32(6),
                    reader.GetInt64(7)));
            }
            return samples;
        }, ct);
}
