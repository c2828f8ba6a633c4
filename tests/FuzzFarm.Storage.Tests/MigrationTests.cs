using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Npgsql;
using Xunit;

namespace FuzzFarm.Storage.Tests;

public sealed class MigrationTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Migrations_apply_once_and_a_second_start_applies_nothing()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using var source = NpgsqlDataSource.Create(cs);

        var first = await MigrationRunner.ApplyAsync(source, Migration.All, CancellationToken.None);
        var second = await MigrationRunner.ApplyAsync(source, Migration.All, CancellationToken.None);

        Assert.Equal(Migration.All.Select(m => m.Name), first);
        Assert.Empty(second);
        Assert.Equal(Migration.All.Count, await CountAsync(source, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Concurrent_starts_on_a_fresh_database_all_succeed_and_apply_each_migration_once()
    {
        var cs = await postgres.CreateDatabaseAsync();

        var opened = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => FarmDatabase.OpenAsync(cs, CancellationToken.None)));
        try
        {
            Assert.Equal(Migration.All.Count, await CountAsync(opened[0].DataSource, "SELECT count(DISTINCT name) FROM schema_migrations"));
            Assert.Equal(Migration.All.Count, await CountAsync(opened[0].DataSource, "SELECT count(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var db in opened)
            {
                await db.DisposeAsync();
            }
        }
    }

    [Fact]
    public void Migrations_are_embedded_in_name_order()
    {
        Assert.True(Migration.All.Count >= 3);
        Assert.Equal(Migration.All.Select(m => m.Name).Order(StringComparer.Ordinal), Migration.All.Select(m => m.Name));
        Assert.Contains(Migration.All, m => m.Name.EndsWith("orleans_clustering", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_applied_migration_edited_afterwards_is_refused_with_its_name()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using (var db = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            await using var tamper = db.DataSource.CreateCommand("UPDATE schema_migrations SET checksum = 'edited' WHERE name = $1");
            tamper.Parameters.Add(new NpgsqlParameter { Value = Migration.All[0].Name });
            await tamper.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<StorageException>(() => FarmDatabase.OpenAsync(cs, CancellationToken.None));

        Assert.Contains(Migration.All[0].Name, error.Message, StringComparison.Ordinal);
        Assert.Contains("edited after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reader_role_can_read_every_table_but_write_none()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using (var db = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            await db.Campaigns.UpsertAsync(new CampaignRecord("visible", "v5.7", 1, 1, "running", DateTimeOffset.UnixEpoch), CancellationToken.None);
        }
        var reader = new NpgsqlConnectionStringBuilder(cs) { Username = "fuzzfarm_reader", Password = "fuzzfarm_reader" }.ConnectionString;
        await using var source = NpgsqlDataSource.Create(reader);

        Assert.Equal(1, await CountAsync(source, "SELECT count(*) FROM campaigns"));
        Assert.Equal(0, await CountAsync(source, "SELECT count(*) FROM signature_profile_matrix"));
        Assert.Equal(0, await CountAsync(source, "SELECT count(*) FROM stat_samples"));
        await using var write = source.CreateCommand("DELETE FROM campaigns");
        var denied = await Assert.ThrowsAsync<PostgresException>(() => write.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
