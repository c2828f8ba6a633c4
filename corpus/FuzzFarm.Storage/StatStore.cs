using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>One machine's totals at one instant: what the dashboards plot over time.</summary>
public sealed record StatSample(
    string Campaign, string Silo, int Machine, DateTimeOffset At, long Executions, int Coverage, int Corpus, long Violations);

/// <summary>
/// The machine incarnation a sample was taken from, and the part of its totals that earlier incarnations of that
/// machine ran (banked by the campaign when the machine was re-created).
/// </summary>
public sealed record SampleOrigin(Guid Incarnation, long BankedExecutions, long BankedViolations);

/// <summary>A machine's latest sample: its totals then, and where they came from (null for samples stored without).</summary>
public sealed record LatestSample(int Machine, long Executions, long Violations, SampleOrigin? Origin);

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
        SampleOrigin origin, CancellationToken ct) =>
        _retry.RunAsync(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand("""
                INSERT INTO stat_samples (campaign, silo, machine, at, executions, coverage, corpus, violations,
                                          incarnation, banked_executions, banked_violations)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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
            command.Parameters.Add(new NpgsqlParameter { Value = origin.Incarnation });
            command.Parameters.Add(new NpgsqlParameter { Value = origin.BankedExecutions });
            command.Parameters.Add(new NpgsqlParameter { Value = origin.BankedViolations });
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

    /// <summary>Each machine's most recent sample in the campaign.</summary>
    public Task<IReadOnlyList<LatestSample>> LatestPerMachineAsync(string campaign, CancellationToken ct) =>
        _retry.RunAsync<IReadOnlyList<LatestSample>>(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT DISTINCT ON (machine) machine, executions, violations, incarnation, banked_executions, banked_violations
                FROM stat_samples WHERE campaign = $1 ORDER BY machine, at DESC
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            await using var reader = await command.ExecuteReaderAsync(c);
            var latest = new List<LatestSample>();
            while (await reader.ReadAsync(c))
            {
                var origin = reader.IsDBNull(3) ? null : new SampleOrigin(reader.GetGuid(3), reader.GetInt64(4), reader.GetInt64(5));
                latest.Add(new LatestSample(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2), origin));
            }
            return latest;
        }, ct);
}
