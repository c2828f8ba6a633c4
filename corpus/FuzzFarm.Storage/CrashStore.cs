using Npgsql;

namespace FuzzFarm.Storage;

/// <summary>Crash groups by signature, their reports, and triage results. Every write is idempotent.</summary>
public sealed class CrashStore
{
    private const string GroupColumns = """
        g.id, g.campaign, g.signature, g.kind, g.first_seen, g.last_seen, g.hits, g.profiles, g.minimized_text,
        coalesce(g.introduced_in, '{}'), coalesce(g.fixed_in, '{}'), g.triaged_at,
        coalesce((SELECT array_agg(m.profile ORDER BY m.profile) FROM crash_profile_matrix m WHERE m.group_id = g.id), '{}'),
        coalesce((SELECT array_agg(m.violates ORDER BY m.profile) FROM crash_profile_matrix m WHERE m.group_id = g.id), '{}'),
        coalesce((SELECT array_agg(m.other_signature ORDER BY m.profile) FROM crash_profile_matrix m WHERE m.group_id = g.id), '{}'),
        coalesce((SELECT sum(s.seen) FROM crash_seen s WHERE s.group_id = g.id), 0)::bigint
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly RetryPolicy _retry;

    internal CrashStore(NpgsqlDataSource dataSource, RetryPolicy retry)
    {
        _dataSource = dataSource;
        _retry = retry;
    }

    /// <summary>
    /// Stores the report and counts it in its group (created on the signature's first report). A report whose
    /// <see cref="CrashReport.ReportId"/> is already stored changes nothing. The campaign must exist.
    /// </summary>
    public Task<CrashRecorded> RecordAsync(CrashReport report, CancellationToken ct) =>
        _retry.RunAsync(_dataSource, c => RecordOnceAsync(report, c), ct);

    private async Task<CrashRecorded> RecordOnceAsync(CrashReport report, CancellationToken ct)
    {
        var observed = Timestamps.ToDb(report.ObservedAt);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        long groupId;
        var newGroup = false;
        await using (var create = new NpgsqlCommand("""
            INSERT INTO crash_groups (campaign, signature, kind, first_seen, last_seen) VALUES ($1, $2, $3, $4, $4)
            ON CONFLICT (campaign, signature) DO NOTHING RETURNING id
            """, connection, transaction))
        {
            create.Parameters.Add(new NpgsqlParameter { Value = report.Campaign });
            create.Parameters.Add(new NpgsqlParameter { Value = report.Signature });
            create.Parameters.Add(new NpgsqlParameter { Value = report.Kind });
            create.Parameters.Add(new NpgsqlParameter { Value = observed });
            try
            {
                var created = await create.ExecuteScalarAsync(ct);
                newGroup = created is long;
                groupId = created is long id ? id : await FindGroupAsync(connection, transaction, report, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                throw new StorageException($"crash report {report.ReportId}: no campaign named '{report.Campaign}'", inner: e);
            }
        }

        await using var insert = new NpgsqlCommand("""
            INSERT INTO crash_instances (report_id, group_id, profile, machine, program_text, observed_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (report_id) DO NOTHING
            """, connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter { Value = report.ReportId });
        insert.Parameters.Add(new NpgsqlParameter { Value = groupId });
        insert.Parameters.Add(new NpgsqlParameter { Value = report.Profile });
        insert.Parameters.Add(new NpgsqlParameter { Value = report.Machine });
        insert.Parameters.Add(new NpgsqlParameter { Value = report.ProgramText });
        insert.Parameters.Add(new NpgsqlParameter { Value = observed });
        var newReport = await insert.ExecuteNonQueryAsync(ct) == 1;

        await using var count = new NpgsqlCommand("""
            UPDATE crash_groups SET
                hits = hits + CASE WHEN $2 THEN 1 ELSE 0 END,
                first_seen = CASE WHEN $2 THEN least(first_seen, $3) ELSE first_seen END,
                last_seen = CASE WHEN $2 THEN greatest(last_seen, $3) ELSE last_seen END,
                profiles = CASE WHEN $2 AND NOT ($4 = ANY (profiles)) THEN array_append(profiles, $4) ELSE profiles END
            WHERE id = $1
            RETURNING triaged_at IS NOT NULL
            """, connection, transaction);
        count.Parameters.Add(new NpgsqlParameter { Value = groupId });
        count.Parameters.Add(new NpgsqlParameter { Value = newReport });
        count.Parameters.Add(new NpgsqlParameter { Value = observed });
        count.Parameters.Add(new NpgsqlParameter { Value = report.Profile });
        var triaged = (bool)(await count.ExecuteScalarAsync(ct))!;

        await transaction.CommitAsync(ct);
        return new CrashRecorded(groupId, newReport, newGroup, triaged);
    }

    /// <summary>
    /// Stores one machine incarnation's running totals of violations seen per signature. A total never goes down, so the
    /// larger of the stored and the given one is kept: sending the same totals twice, or late, counts nothing twice.
    /// Totals of signatures that have no group yet (their first report is not stored) are left out; returns the
    /// signatures whose totals were stored.
    /// </summary>
    public Task<IReadOnlyList<string>> RecordSeenAsync(string campaign, int machine, Guid incarnation, IReadOnlyList<SeenCount> totals, CancellationToken ct) =>
        _retry.RunAsync(_dataSource, c => RecordSeenOnceAsync(campaign, machine, incarnation, totals, c), ct);

    private async Task<IReadOnlyList<string>> RecordSeenOnceAsync(string campaign, int machine, Guid incarnation, IReadOnlyList<SeenCount> totals, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var upsert = new NpgsqlCommand("""
            WITH totals AS (SELECT * FROM unnest($4::text[], $5::bigint[]) AS t(signature, seen)),
            stored AS (
                INSERT INTO crash_seen (group_id, machine, incarnation, seen)
                SELECT g.id, $2, $3, t.seen FROM totals t JOIN crash_groups g ON g.campaign = $1 AND g.signature = t.signature
                ON CONFLICT (group_id, machine, incarnation) DO UPDATE SET seen = greatest(crash_seen.seen, EXCLUDED.seen)
                RETURNING group_id)
            SELECT g.signature FROM stored JOIN crash_groups g ON g.id = stored.group_id
            """, connection);
        upsert.Parameters.Add(new NpgsqlParameter { Value = campaign });
        upsert.Parameters.Add(new NpgsqlParameter { Value = machine });
        upsert.Parameters.Add(new NpgsqlParameter { Value = incarnation });
        upsert.Parameters.Add(new NpgsqlParameter { Value = totals.Select(t => t.Signature).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter { Value = totals.Select(t => t.Seen).ToArray() });
        var stored = new List<string>(totals.Count);
        await using var reader = await upsert.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stored.Add(reader.GetString(0));
        }
        return stored;
    }

    private static async Task<long> FindGroupAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CrashReport report, CancellationToken ct)
    {
        await using var find = new NpgsqlCommand("SELECT id FROM crash_groups WHERE campaign = $1 AND signature = $2", connection, transaction);
        find.Parameters.Add(new NpgsqlParameter { Value = report.Campaign });
        find.Parameters.Add(new NpgsqlParameter { Value = report.Signature });
        return (long)(await find.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Stores triage's result for a group: the minimized program, whether it violates on each profile (and, where it
    /// violates without the group's signature, the signature it shows instead), and where the bug appears and
    /// disappears. Rerunning triage overwrites. Returns false when the group does not exist.
    /// </summary>
    public Task<bool> SetTriageAsync(
        string campaign,
        string signature,
        string minimizedText,
        IReadOnlyDictionary<string, bool> matrix,
        IReadOnlyDictionary<string, string> otherSignatures,
        IReadOnlyList<string> introducedIn,
        IReadOnlyList<string> fixedIn,
        CancellationToken ct) =>
        _retry.RunAsync(_dataSource, async c =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(c);
            await using var transaction = await connection.BeginTransactionAsync(c);
            await using var update = new NpgsqlCommand("""
                UPDATE crash_groups SET minimized_text = $3, introduced_in = $4, fixed_in = $5, triaged_at = now()
                WHERE campaign = $1 AND signature = $2
                RETURNING id
                """, connection, transaction);
            update.Parameters.Add(new NpgsqlParameter { Value = campaign });
            update.Parameters.Add(new NpgsqlParameter { Value = signature });
            update.Parameters.Add(new NpgsqlParameter { Value = minimizedText });
            update.Parameters.Add(new NpgsqlParameter { Value = introducedIn.ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = fixedIn.ToArray() });
            if (await update.ExecuteScalarAsync(c) is not long groupId)
            {
                return false;
            }
            await using var rows = new NpgsqlCommand("""
                INSERT INTO crash_profile_matrix (group_id, profile, violates, other_signature)
                SELECT $1, p, v, o FROM unnest($2::text[], $3::boolean[], $4::text[]) AS t (p, v, o)
                ON CONFLICT (group_id, profile) DO UPDATE
                SET violates = excluded.violates, other_signature = excluded.other_signature, checked_at = now()
                """, connection, transaction);
            rows.Parameters.Add(new NpgsqlParameter { Value = groupId });
            rows.Parameters.Add(new NpgsqlParameter { Value = matrix.Keys.ToArray() });
            rows.Parameters.Add(new NpgsqlParameter { Value = matrix.Keys.Select(k => matrix[k]).ToArray() });
            rows.Parameters.Add(new NpgsqlParameter { Value = matrix.Keys.Select(k => otherSignatures.GetValueOrDefault(k)).ToArray() });
            await rows.ExecuteNonQueryAsync(c);
            await transaction.CommitAsync(c);
            return true;
        }, ct);

    /// <summary>The groups of one campaign, or of all campaigns when <paramref name="campaign"/> is null; oldest first.</summary>
    public Task<IReadOnlyList<CrashGroup>> ListGroupsAsync(string? campaign, CancellationToken ct) =>
        _retry.RunAsync<IReadOnlyList<CrashGroup>>(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand(
                $"SELECT {GroupColumns} FROM crash_groups g WHERE $1::text IS NULL OR g.campaign = $1 ORDER BY g.first_seen, g.id");
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)campaign ?? DBNull.Value });
            await using var reader = await command.ExecuteReaderAsync(c);
            var groups = new List<CrashGroup>();
            while (await reader.ReadAsync(c))
            {
                groups.Add(ReadGroup(reader));
            }
            return groups;
        }, ct);

    public Task<CrashGroup?> GetGroupAsync(long id, CancellationToken ct) =>
        _retry.RunAsync(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand($"SELECT {GroupColumns} FROM crash_groups g WHERE g.id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await command.ExecuteReaderAsync(c);
            return await reader.ReadAsync(c) ? ReadGroup(reader) : null;
        }, ct);

    /// <summary>A group's reports in the order they were observed.</summary>
    public Task<IReadOnlyList<CrashInstance>> ListInstancesAsync(long groupId, CancellationToken ct) =>
        _retry.RunAsync<IReadOnlyList<CrashInstance>>(_dataSource, async c =>
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT report_id, group_id, profile, machine, program_text, observed_at
                FROM crash_instances WHERE group_id = $1 ORDER BY observed_at, report_id
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = groupId });
            await using var reader = await command.ExecuteReaderAsync(c);
            var instances = new List<CrashInstance>();
            while (await reader.ReadAsync(c))
            {
                instances.Add(new CrashInstance(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3),
                    reader.GetString(4), Timestamps.FromDb(reader.GetDateTime(5))));
            }
            return instances;
        }, ct);

    private static CrashGroup ReadGroup(NpgsqlDataReader reader)
    {
        var matrixProfiles = reader.GetFieldValue<string[]>(12);
        var matrixViolates = reader.GetFieldValue<bool[]>(13);
        var matrixOthers = reader.GetFieldValue<string?[]>(14);
        var matrix = new SortedDictionary<string, bool>(StringComparer.Ordinal);
        var others = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < matrixProfiles.Length; i++)
        {
            matrix[matrixProfiles[i]] = matrixViolates[i];
            if (matrixOthers[i] is { } other)
            {
                others[matrixProfiles[i]] = other;
            }
        }
        return new CrashGroup(
            Id: reader.GetInt64(0),
            Campaign: reader.GetString(1),
            Signature: reader.GetString(2),
            Kind: reader.GetString(3),
            FirstSeen: Timestamps.FromDb(reader.GetDateTime(4)),
            LastSeen: Timestamps.FromDb(reader.GetDateTime(5)),
            Hits: reader.GetInt64(6),
            Seen: reader.GetInt64(15),
            Profiles: reader.GetFieldValue<string[]>(7),
            MinimizedText: reader.IsDBNull(8) ? null : reader.GetString(8),
            Matrix: matrix,
            OtherSignatures: others,
            IntroducedIn: reader.GetFieldValue<string[]>(9),
            FixedIn: reader.GetFieldValue<string[]>(10),
            TriagedAt: reader.IsDBNull(11) ? null : Timestamps.FromDb(reader.GetDateTime(11)));
    }
}
