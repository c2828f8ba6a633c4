using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>A campaign's run window (migration 0050): when its current run started and for how long it runs.</summary>
public sealed record CampaignSchedule(DateTimeOffset? StartedAt, TimeSpan? Duration);

/// <summary>Reads and writes <see cref="CampaignSchedule"/> (kept apart from <see cref="CampaignStore"/>: the farm's addition).</summary>
public static class CampaignScheduleStore
{
    public static Task SetScheduleAsync(this FarmDatabase database, string campaign, CampaignSchedule schedule, CancellationToken ct) =>
        RetryPolicy.Default.RunAsync(database.DataSource, async c =>
        {
            await using var command = database.DataSource.CreateCommand(
                "UPDATE campaigns SET started_at = $2, duration_seconds = $3, updated_at = now() WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            command.Parameters.Add(new NpgsqlParameter
            {
                Value = schedule.StartedAt is { } s ? (object)Timestamps.ToDb(s) : DBNull.Value,
                NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz,
            });
            command.Parameters.Add(new NpgsqlParameter
            {
                Value = schedule.Duration is { } d ? (object)(int)Math.Ceiling(d.TotalSeconds) : DBNull.Value,
                NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer,
            });
            await command.ExecuteNonQueryAsync(c);
        }, ct);

    public static Task<CampaignSchedule?> GetScheduleAsync(this FarmDatabase database, string campaign, CancellationToken ct) =>
        RetryPolicy.Default.RunAsync(database.DataSource, async c =>
        {
            await using var command = database.DataSource.CreateCommand(
                "SELECT started_at, duration_seconds FROM campaigns WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            await using var reader = await command.ExecuteReaderAsync(c);
            if (!await reader.ReadAsync(c))
            {
                return null;
            }
            return new CampaignSchedule(
                reader.IsDBNull(0) ? null : Timestamps.FromDb(reader.GetDateTime(0)),
                reader.IsDBNull(1) ? null : TimeSpan.FromSeconds(reader.GetInt32(1)));
        }, ct);
}
