using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Npgsql;
using Xunit;

namespace FuzzFarm.Storage.Tests;

/// <summary>A wrong connection string fails at open, on one line, before anything could be written.</summary>
public sealed class ConnectionErrorTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("Host=127.0.0.1;Prot=5432", "invalid database connection string")]
    [InlineData("this is not a connection string", "invalid database connection string")]
    [InlineData("Host=127.0.0.1;Port=notaport", "invalid database connection string")]
    [InlineData("Port=5432;Username=x", "no Host")]
    [InlineData("garbage=;;", "invalid database connection string: unknown keyword 'garbage'")]
    [InlineData("Host=127.0.0.1;Colour=", "invalid database connection string: unknown keyword 'Colour'")]
    [InlineData("  ", "empty")]
    public async Task A_malformed_connection_string_is_invalid_input(string connectionString, string expected)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => FarmDatabase.OpenAsync(connectionString, CancellationToken.None));

        Assert.True(error.InvalidInput);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_port_with_no_server_names_the_address_and_fails_without_waiting_for_retries()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            FarmDatabase.OpenAsync("Host=127.0.0.1;Port=1;Username=fuzzfarm;Password=secret-1;Database=fuzzfarm", CancellationToken.None));

        Assert.StartsWith("cannot connect to PostgreSQL at 127.0.0.1:1/fuzzfarm as fuzzfarm: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_wrong_password_is_invalid_input_and_never_echoed()
    {
        var cs = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Password = "wrong-password-42" }.ConnectionString;

        var error = await Assert.ThrowsAsync<StorageException>(() => FarmDatabase.OpenAsync(cs, CancellationToken.None));

        Assert.True(error.InvalidInput);
        Assert.Contains("password authentication failed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-42", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_database_is_invalid_input_naming_it()
    {
        var cs = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "no_such_database_here" }.ConnectionString;

        var error = await Assert.ThrowsAsync<StorageException>(() => FarmDatabase.OpenAsync(cs, CancellationToken.None));

        Assert.True(error.InvalidInput);
        Assert.Contains("no_such_database_here", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_db_option_wins_over_the_environment()
    {
        Assert.Equal("Host=from-option", await ConnectionResolver.ResolveAsync("Host=from-option", CancellationToken.None));
    }
}
