using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Npgsql;
using Xunit;

namespace FuzzFarm.Storage.Tests;

/// <summary>Without --db or FUZZFARM_PG the farm starts deploy/local/postgres.sh; starting it again is harmless.</summary>
public sealed class LocalPostgresTests
{
    [Fact]
    public async Task The_local_script_is_found_from_a_test_run_and_start_is_idempotent()
    {
        Assert.NotNull(LocalPostgres.FindScript());

        var first = await LocalPostgres.StartAsync(CancellationToken.None);
        var second = await LocalPostgres.StartAsync(CancellationToken.None);

        Assert.Equal(first, second);
        await using var source = NpgsqlDataSource.Create(first);
        await using var command = source.CreateCommand("SELECT current_database()");
        Assert.Equal("fuzzfarm", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Start_asking_for_another_port_connects_to_the_server_already_running_on_the_data_folder()
    {
        // Started once with FUZZFARM_PG_PORT set, then `fuzzfarm run` without it: the data folder is in use, so
        // the server that holds it is the one to use.
        await using var server = await PrivatePostgresServer.StartAsync();

        Assert.Equal(server.ConnectionString, await server.StartAskingForAnotherPortAsync());
    }
}
