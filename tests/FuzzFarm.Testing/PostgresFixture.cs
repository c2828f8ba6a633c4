using FuzzFarm.Storage;
using Npgsql;
using Xunit;

namespace FuzzFarm.Testing;

/// <summary>
/// A fresh, empty database per test class (use as <c>IClassFixture&lt;PostgresFixture&gt;</c>), so test classes that run
/// in parallel never see each other's rows. Databases it created are dropped when the class is done.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly List<string> _created = [];
    private string? _server;
    private string? _connectionString;

    /// <summary>The class's own database. Not migrated: <see cref="FarmDatabase.OpenAsync(string, CancellationToken)"/> does that.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("fixture not initialised");

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.ConnectionStringAsync();
        _connectionString = await CreateDatabaseAsync();
    }

    /// <summary>Opens the class's database through the production path (migrations included).</summary>
    public Task<FarmDatabase> OpenFarmDatabaseAsync() => FarmDatabase.OpenAsync(ConnectionString, CancellationToken.None);

    /// <summary>Another empty database, for a test that needs one of its own (e.g. first-time migration).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var server = _server ?? throw new InvalidOperationException("fixture not initialised");
        var name = $"fuzzfarm_test_{Guid.NewGuid():N}";
        await using (var admin = NpgsqlDataSource.Create(server))
        await using (var create = admin.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            await create.ExecuteNonQueryAsync();
        }
        lock (_created)
        {
            _created.Add(name);
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_server is null)
        {
            return;
        }
        await using var admin = NpgsqlDataSource.Create(_server);
        foreach (var name in _created)
        {
            // FORCE ends connections still pooled by the tests' data sources.
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
