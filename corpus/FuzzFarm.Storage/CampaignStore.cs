using Npgsql;

namespace FuzzFarm.Storage;

public sealed class CampaignStore
{
    private const string Columns = "name, profile, machines, seed, status, created_at";
    private readonly NpgsqlDataSource _dataSource;
    private readonly RetryPolicy _retry;

    internal CampaignStore(NpgsqlDataSource dataSource, RetryPolicy retry)
    {
        _dataSource = dataSource;
        _retry = retry;
    }

    /// <summary>Creates the campaign or replaces its configuration and status; the original creation time is kept.</summary>
    public Task UpsertAsync(CampaignRecord campaign, CancellationToken ct) =>
        _retry.RunAsync(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand("""
                INSERT INTO campaigns (name, profile, machines, seed, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (name) DO UPDATE SET profile = excluded.profile, machines = excluded.machines,
                    seed = excluded.seed, status = excluded.status, updated_at = now()
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = campaign.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = campaign.Profile });
            command.Parameters.Add(new NpgsqlParameter { Value = campaign.Machines });
            command.Parameters.Add(new NpgsqlParameter { Value = campaign.Seed });
            command.Parameters.Add(new NpgsqlParameter { Value = campaign.Status });
            command.Parameters.Add(new NpgsqlParameter { Value = Timestamps.ToDb(campaign.CreatedAt) });
            await command.ExecuteNonQueryAsync(c);
        }, ct);

    /// <summary>Returns false when no campaign has that name.</summary>
    public Task<bool> SetStatusAsync(string name, string status, CancellationToken ct) =>
        _retry.RunAsync(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand("UPDATE campaigns SET status = $2, updated_at = now() WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            command.Parameters.Add(new NpgsqlParameter { Value = status });
            return await command.ExecuteNonQueryAsync(c) > 0;
        }, ct);

    public Task<CampaignRecord?> GetAsync(string name, CancellationToken ct) =>
        _retry.RunAsync(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand($"SELECT {Columns} FROM campaigns WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var reader = await command.ExecuteReaderAsync(c);
            return await reader.ReadAsync(c) ? Read(reader) : null;
        }, ct);

    /// <summary>Every campaign, oldest first.</summary>
    public Task<IReadOnlyList<CampaignRecord>> ListAsync(CancellationToken ct) =>
        _retry.RunAsync<IReadOnlyList<CampaignRecord>>(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand($"SELECT {Columns} FROM campaigns ORDER BY created_at, name");
            await using var reader = await command.ExecuteReaderAsync(c);
            var campaigns = new List<CampaignRecord>();
            while (await reader.ReadAsync(c))
            {
                campaigns.Add(Read(reader));
            }
            return campaigns;
        }, ct);

    private static CampaignRecord Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetString(4),
        Timestamps.FromDb(reader.GetDateTime(5)));
}
