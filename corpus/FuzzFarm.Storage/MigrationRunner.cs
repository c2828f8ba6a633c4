using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>
/// Applies the embedded migrations that a database lacks, in order, in one transaction. A transaction-scoped advisory
/// lock makes concurrent starters (several silos, parallel tests) queue: the first applies, the others find nothing to do.
/// </summary>
public static class MigrationRunner
{
    // Any fixed number ("FuzzFarm" in ASCII); it only has to differ from other advisory locks on the same database.
    private const string TakeLock = "SELECT pg_advisory_xact_lock(5077098820515492461)";

    /// <summary>Applies what is missing; returns the names applied now (empty when the schema was current).</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, transaction, TakeLock, ct);
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name        text        PRIMARY KEY,
                checksum    text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, ct);

        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand("SELECT name, checksum FROM schema_migrations", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                applied[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var appliedNow = new List<string>();
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Name, out var checksum))
            {
                if (checksum != migration.Checksum)
                {
                    throw new StorageException(
                        $"migration {migration.Name} was edited after it was applied to database {connection.Database}; add a new migration instead");
                }
                continue;
            }
            try
            {
                await ExecuteAsync(connection, transaction, migration.Sql, ct);
            }
            catch (PostgresException e)
            {
                throw new StorageException($"migration {migration.Name} failed: {StorageException.OneLine(e)}", inner: e);
            }
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(ct);
            appliedNow.Add(migration.Name);
        }
        await transaction.CommitAsync(ct);
        return appliedNow;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }
}
