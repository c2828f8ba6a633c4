using Npgsql;

namespace FuzzFarm.Farm.Tests;

/// <summary>Direct reads of the farm's tables, to check what the farm stored independently of its own code paths.</summary>
internal static class FarmQueries
{
    public static async Task<long> ScalarAsync(string connectionString, string sql, params object[] args)
    {
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var command = source.CreateCommand(sql);
        foreach (var a in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = a });
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<IReadOnlyList<string>> ReportIdsAsync(string connectionString, string campaign)
    {
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var command = source.CreateCommand("""
            SELECT i.report_id FROM crash_instances i JOIN crash_groups g ON g.id = i.group_id WHERE g.campaign = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = campaign });
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>
    /// The exactly-once checks: each group's hit count equals its stored reports, and no (machine, signature, program)
    /// was stored twice under different ids.
    /// </summary>
    public static async Task AssertNoDuplicatesAsync(string connectionString, string campaign)
    {
        var hitMismatches = await ScalarAsync(connectionString, """
            SELECT count(*) FROM crash_groups g
            WHERE g.campaign = $1 AND g.hits <> (SELECT count(*) FROM crash_instances i WHERE i.group_id = g.id)
            """, campaign);
        Xunit.Assert.Equal(0, hitMismatches);
        var duplicates = await ScalarAsync(connectionString, """
            SELECT count(*) FROM (
                SELECT i.machine, g.signature, i.program_text FROM crash_instances i JOIN crash_groups g ON g.id = i.group_id
                WHERE g.campaign = $1 GROUP BY 1, 2, 3 HAVING count(*) > 1) d
            """, campaign);
        Xunit.Assert.Equal(0, duplicates);
    }
}
