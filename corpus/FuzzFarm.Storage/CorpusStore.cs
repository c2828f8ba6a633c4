using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>A stored corpus input. <see cref="Id"/> lets a caller name a row whose text no longer parses.</summary>
public sealed record CorpusRow(long Id, string Hash, string Text, int Features, DateTimeOffset AddedAt);

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
    public Task<int> AddAsync(string campaign, IEnumerable<(string Hash, string Text, int Features)> entries, CancellationToken ct)
    {
        var list = entries.ToList();
        if (list.Count == 0)
        {
            return Task.FromResult(0);
        }
        return _retry.RunAsync(_dataSource, async c =>
        {
            // One round trip for the whole batch; duplicates inside the batch are dropped by the same conflict rule.
            await using var command = _dataSource.CreateCommand("""
                INSERT INTO corpus_entries (campaign, hash, program_text, features)
                SELECT $1, h, t, f FROM unnest($2::text[], $3::text[], $4::integer[]) AS e (h, t, f)
                ON CONFLICT (campaign, hash) DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            command.Parameters.Add(new NpgsqlParameter { Value = list.Select(e => e.Hash).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = list.Select(e => e.Text).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = list.Select(e => e.Features).ToArray() });
            try
            {
                return await command.ExecuteNonQueryAsync(c);
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
                "SELECT id, hash, program_text, features, added_at FROM corpus_entries WHERE campaign = $1 ORDER BY id");
            command.Parameters.Add(new NpgsqlParameter { Value = campaign });
            await using var reader = await command.ExecuteReaderAsync(c);
            var rows = new List<CorpusRow>();
            while (await reader.ReadAsync(c))
            {
                rows.Add(new CorpusRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                    Timestamps.FromDb(reader.GetDateTime(4))));
            }
            return rows;
        }, ct);
}
