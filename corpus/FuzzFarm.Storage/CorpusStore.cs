using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>
/// A stored corpus input. <see cref="Id"/> lets a caller name a row whose text no longer parses; <see cref="FeatureSet"/>
/// is every coverage feature the program reaches, null for a row stored before features were kept.
/// </summary>
public sealed record CorpusRow(long Id, string Hash, string Text, int Features, DateTimeOffset AddedAt, uint[]? FeatureSet);

/// <summary>Each campaign's corpus, so a restarted campaign resumes from what it had found. Idempotent by hash.</summary>
public sealed class CorpusStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly RetryPolicy _retry;

    internal CorpusStore(NpgsqlDataSource dataSource, RetryPolicy retry)
    {
        _dataSource = dataSource;
        _retry = retry;
    }

    /// <summary>Adds the entries whose hash the campaign does not have yet; returns how many were new.</summary>
    public Task<int> AddAsync(string campaign, IEnumerable<(string Hash, string Text, int Features, uint[]? FeatureSet)> entries,
        CancellationToken ct)
    {
        var list = entries.ToList();
        if (list.Count == 0)
        {
            return Task.FromResult(0);
        }
        return _retry.RunAsync(_dataSource, async c =>
        {
            // One round trip for the whole batch; a hash already stored, or twice in the batch, is skipped by the conflict rule.
            await using var batch = _dataSource.CreateBatch();
            foreach (var e in list)
            {
                var command = new NpgsqlBatchCommand("""
                    INSERT INTO corpus_entries (campaign, hash, program_text, features, feature_set) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (campaign, hash) DO NOTHING
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = campaign });
                command.Parameters.Add(new NpgsqlParameter { Value = e.Hash });
                command.Parameters.Add(new NpgsqlParameter { Value = e.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = e.Features });
                // PostgreSQL has no unsigned integers: the machine's 32-bit features are stored as their signed bits.
                command.Parameters.Add(e.FeatureSet is null
                    ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer }
                    : new NpgsqlParameter { Value = e.FeatureSet.Select(f => unchecked((int)f)).ToArray() });
                batch.BatchCommands.Add(command);
            }
            try
            {
                return await batch.ExecuteNonQueryAsync(c);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                throw new StorageException($"corpus: no campaign named '{campaign}'", inner: e);
            }
        }, ct);
    }

    /// <summary>The campaign's corpus in the order it was found.</summary>
    public Task<IReadOnlyList<CorpusRow>> LoadAsync(string campaign, CancellationToken ct) =>
        _retry.RunAsync<IReadOnlyList<CorpusRow>>(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand(
                "SELECT id, hash, program_text, features, added_at, feature_set FROM corpus_entries WHERE campaign = $1 ORDER BY id");
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            await using var reader = await command.ExecuteReaderAsync(c);
            var rows = new List<CorpusRow>();
            while (await reader.ReadAsync(c))
            {
                rows.Add(new CorpusRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                    Timestamps.FromDb(reader.GetDateTime(4)),
                    reader.IsDBNull(5) ? null : [.. reader.GetFieldValue<int[]>(5).Select(f => unchecked((uint)f))]));
            }
            return rows;
        }, ct);
}
