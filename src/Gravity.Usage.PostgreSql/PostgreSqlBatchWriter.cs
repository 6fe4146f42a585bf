using Gravity.Usage.Internal;
using Gravity.Usage.Sql;
using Npgsql;
using NpgsqlTypes;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// Writes one batch of increments with a fixed number of round trips, whatever its size: statements over arrays, never
/// one per increment. The common batch (every key new, every counter within its limit) goes in ONE round trip with its
/// BEGIN, commit mark and COMMIT (<see cref="PlanOneRoundTrip"/>). A batch that turns out to need judging (a key
/// recorded before, an overflow) is written statement by statement in a transaction of the caller's
/// (<see cref="WriteAsync"/>): keys and counters together in one round trip, then only what the rare case needs.
/// </summary>
internal sealed class PostgreSqlBatchWriter
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction? _transaction;
    private readonly PostgreSqlQueries _queries;

    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The caller's transaction for <see cref="WriteAsync"/>; <see langword="null"/> for <see cref="PlanOneRoundTrip"/>.</param>
    /// <param name="queries">The schema's SQL.</param>
    public PostgreSqlBatchWriter(NpgsqlConnection connection, NpgsqlTransaction? transaction, PostgreSqlQueries queries)
    {
        _connection = connection;
        _transaction = transaction;
        _queries = queries;
    }

    /// <summary>
    /// Builds the batch as one round trip: BEGIN, the mark, keys and counters in one statement, the gauge readings,
    /// COMMIT. Returns the statuses the batch has when it commits, or <see langword="null"/> when a folded sum is past
    /// the most a counter holds (the batch then goes through <see cref="WriteAsync"/>). When a key turns out recorded
    /// before or a counter refuses its addition, the statement fails the transaction with
    /// <see cref="PostgreSqlCommitMarks.NeedsMoreRoundTrips"/> and nothing of it is applied.
    /// </summary>
    public OneRoundTrip? PlanOneRoundTrip(IReadOnlyList<UsageIncrement> increments, Guid mark)
    {
        var statuses = new UsageWriteStatus[increments.Count];
        var (_, claimants, _) = ClaimKeys(increments, statuses);
        var (counters, readings) = Fold(increments, statuses);
        if (counters.Values.Any(c => c.SumOverflowed))
        {
            return null;
        }

        var batch = new NpgsqlBatch(_connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(PostgreSqlCommitOutcome.InsertMarkCommand(_queries, mark));
        var keyed = ClaimedParts(increments, claimants);
        var folded = FoldedInOrder(counters);
        if (keyed.Count == 0 && folded.Count > 0)
        {
            var statement = new NpgsqlBatchCommand(_queries.CountersInOneRoundTrip);
            AddCounterParameters(statement.Parameters, folded, "counter_");
            batch.BatchCommands.Add(statement);
        }
        else if (keyed.Count > 0)
        {
            var legacy = _queries.Keys.LegacyKeysLeft;
            var statement = new NpgsqlBatchCommand(legacy ? _queries.KeysBesideLegacyThenCountersInOneRoundTrip : _queries.KeysThenCountersInOneRoundTrip);
            AddKeyParameters(statement.Parameters, keyed, HashesOf(keyed).Hashes, legacy);
            AddCounterParameters(statement.Parameters, folded, "counter_");
            batch.BatchCommands.Add(statement);
        }

        if (readings.Count > 0)
        {
            batch.BatchCommands.Add(ReadingsCommand(increments, readings));
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        return new OneRoundTrip(statuses, batch);
    }

    /// <summary>
    /// Writes the batch in the caller's transaction and returns one status per increment; the caller commits. The
    /// parts of a multi-meter call (<see cref="UsageIncrement.PartCount"/>) are applied all or none.
    /// </summary>
    public async Task<UsageWriteStatus[]> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken)
    {
        var statuses = new UsageWriteStatus[increments.Count];
        var (keys, claimants, multiPartCalls) = ClaimKeys(increments, statuses);
        var claimedParts = ClaimedParts(increments, claimants);
        var (counters, readings) = Fold(increments, statuses);

        // Counters in one order for every writer, so that concurrent batches lock rows in the same order.
        var folded = FoldedInOrder(counters);
        HashSet<CounterKey> applied;
        if (claimedParts.Count == 0)
        {
            applied = await UpsertAsync(folded, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // The common case in one round trip: keys, then counters (added only when every key was new).
            (var newKeys, applied) = await InsertKeysThenCountersAsync(claimedParts, folded, cancellationToken).ConfigureAwait(false);
            var recordedBefore = claimants.Where(c => Enumerable.Range(c.Start, c.Size).Any(k => !newKeys.Contains(KeyRef.Of(increments[k])))).ToList();
            if (recordedBefore.Count > 0)
            {
                // The statement added no counter: judge the calls recorded before, then add the others' counters.
                await JudgeRecordedBeforeAsync(increments, statuses, recordedBefore, newKeys, cancellationToken).ConfigureAwait(false);
                (counters, readings) = Fold(increments, statuses);
                folded = FoldedInOrder(counters);
                applied = await UpsertAsync(folded, cancellationToken).ConfigureAwait(false);
            }
        }

        var anyRefused = false;
        foreach (var (counter, delta) in counters.OrderBy(c => c.Key, CounterKey.Comparer))
        {
            if (delta.SumOverflowed || !applied.Contains(counter))
            {
                // The folded sum does not fit: add the increments one at a time so that only those that overflow are refused.
                anyRefused = true;
                foreach (var index in delta.Indexes)
                {
                    statuses[index] = await ApplyAloneAsync(increments[index], cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (anyRefused)
        {
            foreach (var (start, size) in multiPartCalls ?? [])
            {
                await KeepCallWholeAsync(increments, statuses, start, size, cancellationToken).ConfigureAwait(false);
            }
        }

        await UpsertReadingsAsync(increments, readings, cancellationToken).ConfigureAwait(false);
        await SettleRepeatsAsync(increments, statuses, keys, cancellationToken).ConfigureAwait(false);
        return statuses;
    }

    /// <summary>
    /// The first call of the batch to use a key claims it; later calls with the key are judged in memory against it
    /// (their statuses set here). Returns the keys seen, the claiming calls and the multi-meter calls.
    /// </summary>
    private static (BatchKeys Keys, List<(int Start, int Size)> Claimants, List<(int Start, int Size)>? MultiPartCalls) ClaimKeys(
        IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses)
    {
        var keys = new BatchKeys();
        var claimants = new List<(int Start, int Size)>();
        List<(int Start, int Size)>? multiPartCalls = null;
        for (int i = 0, size; i < increments.Count; i += size)
        {
            size = UsageCalls.SizeAt(increments, i);
            if (size > 1)
            {
                (multiPartCalls ??= []).Add((i, size));
            }

            if (increments[i].IdempotencyKey is null)
            {
                continue;
            }

            if (keys.JudgeRepeat(increments, i, size) is { } repeat)
            {
                UsageCalls.SetAll(statuses, i, size, repeat);
                continue;
            }

            keys.Claim(increments, i, size);
            claimants.Add((i, size));
        }

        return (keys, claimants, multiPartCalls);
    }

    /// <summary>The parts of the claiming calls, in the one order every writer inserts keys in.</summary>
    private static List<UsageIncrement> ClaimedParts(IReadOnlyList<UsageIncrement> increments, List<(int Start, int Size)> claimants) =>
        claimants.SelectMany(c => Enumerable.Range(c.Start, c.Size)).Select(k => increments[k]).OrderBy(KeyRef.Of, KeyRef.Comparer).ToList();

    /// <summary>
    /// Folds the increments still to record by counter (arrival order kept in each counter's indexes), and lists the
    /// gauge readings apart (written by <see cref="UpsertReadingsAsync"/>, after the counters).
    /// </summary>
    private static (Dictionary<CounterKey, CounterDelta> Counters, List<int> Readings) Fold(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses)
    {
        var readings = new List<int>();
        var counters = new Dictionary<CounterKey, CounterDelta>();
        for (var i = 0; i < increments.Count; i++)
        {
            if (statuses[i] != UsageWriteStatus.Recorded)
            {
                continue;
            }

            if (increments[i].IsReading)
            {
                readings.Add(i);
                continue;
            }

            var counter = CounterKey.Of(increments[i]);
            if (!counters.TryGetValue(counter, out var delta))
            {
                counters[counter] = delta = new CounterDelta();
            }

            delta.Add(i, increments[i].Quantity);
        }

        return (counters, readings);
    }

    /// <summary>The folded sums that fit, in the one order every writer locks counters in.</summary>
    private static List<(CounterKey Counter, long Quantity)> FoldedInOrder(Dictionary<CounterKey, CounterDelta> counters) =>
        counters.Where(c => !c.Value.SumOverflowed).OrderBy(c => c.Key, CounterKey.Comparer).Select(c => (c.Key, c.Value.Sum)).ToList();

    /// <summary>
    /// Inserts the keys of <paramref name="keyed"/> (in key order) and, when every one was new, adds
    /// <paramref name="additions"/> (in counter order), in one statement: one round trip.
    /// Returns the keys that were new and the counters the overflow guard let through (none when a key was not new).
    /// </summary>
    private async Task<(HashSet<KeyRef> NewKeys, HashSet<CounterKey> Applied)> InsertKeysThenCountersAsync(
        List<UsageIncrement> keyed, IReadOnlyList<(CounterKey Counter, long Quantity)> additions, CancellationToken cancellationToken)
    {
        var legacy = _queries.Keys.LegacyKeysLeft;
        var batch = new NpgsqlBatch(_connection, _transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        var statement = new NpgsqlBatchCommand(legacy ? _queries.KeysBesideLegacyThenCounters : _queries.KeysThenCounters);
        var (hashes, byHash) = HashesOf(keyed);
        AddKeyParameters(statement.Parameters, keyed, hashes, legacy);
        AddCounterParameters(statement.Parameters, additions, "counter_");
        batch.BatchCommands.Add(statement);
        var newKeys = new HashSet<KeyRef>();
        var applied = new HashSet<CounterKey>(additions.Count);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!reader.IsDBNull(0))
            {
                newKeys.Add(byHash[reader.GetGuid(0)]);
            }
            else
            {
                applied.Add(new CounterKey(reader.GetString(1), reader.GetString(3), reader.GetInt64(2)));
            }
        }

        return (newKeys, applied);
    }

    /// <summary>The parameters of a keys' insert: hashes, fingerprints, seconds, and beside legacy keys their texts.</summary>
    private static void AddKeyParameters(NpgsqlParameterCollection parameters, List<UsageIncrement> keyed, Guid[] hashes, bool legacy)
    {
        parameters.Add(UuidArray(hashes));
        parameters.Add(FingerprintArray(keyed));
        parameters.Add(BigintArray("recorded_at", keyed.Select(i => IdempotencyKeyExpiry.RecordedSecond(i.RecordedAt))));
        if (legacy)
        {
            parameters.Add(TextArray("accounts", keyed.Select(i => i.Account)));
            parameters.Add(TextArray("meters", keyed.Select(i => i.Meter)));
            parameters.Add(TextArray("keys", keyed.Select(i => i.IdempotencyKey!)));
        }
    }

    /// <summary>The parameters of a counters' upsert, named <paramref name="prefix"/>accounts and so on.</summary>
    private static void AddCounterParameters(NpgsqlParameterCollection parameters, IReadOnlyList<(CounterKey Counter, long Quantity)> additions, string prefix)
    {
        var accounts = new string[additions.Count];
        var bucketStarts = new long[additions.Count];
        var meters = new string[additions.Count];
        var quantities = new long[additions.Count];
        for (var i = 0; i < additions.Count; i++)
        {
            (accounts[i], meters[i], bucketStarts[i]) = additions[i].Counter;
            quantities[i] = additions[i].Quantity;
        }

        parameters.Add(new NpgsqlParameter<string[]>(prefix + "accounts", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = accounts });
        parameters.Add(new NpgsqlParameter<long[]>(prefix + "bucket_starts", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = bucketStarts });
        parameters.Add(new NpgsqlParameter<string[]>(prefix + "meters", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = meters });
        parameters.Add(new NpgsqlParameter<long[]>(prefix + "quantities", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = quantities });
    }

    /// <summary>
    /// Judges the calls whose keys were not all new: each is a duplicate when every stored fingerprint matches its own,
    /// a conflict otherwise. The keys such a call inserted for its other parts are released.
    /// </summary>
    private async Task JudgeRecordedBeforeAsync(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses, List<(int Start, int Size)> calls, HashSet<KeyRef> newKeys, CancellationToken cancellationToken)
    {
        var parts = calls.SelectMany(c => Enumerable.Range(c.Start, c.Size)).Select(k => increments[k]).ToList();
        var stored = new Dictionary<KeyRef, long>();
        var read = new NpgsqlCommand(_queries.Keys.ReadFingerprints, _connection, _transaction);
        await using (read.ConfigureAwait(false))
        {
            var old = parts.Where(p => !newKeys.Contains(KeyRef.Of(p))).ToList();
            var (hashes, byHash) = HashesOf(old);
            read.Parameters.Add(UuidArray(hashes));
            read.Parameters.Add(TextArray("accounts", old.Select(i => i.Account)));
            read.Parameters.Add(TextArray("meters", old.Select(i => i.Meter)));
            read.Parameters.Add(TextArray("keys", old.Select(i => i.IdempotencyKey!)));
            var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                stored[byHash[reader.GetGuid(0)]] = reader.IsDBNull(1) ? IdempotencyFingerprint.None : reader.GetInt64(1);
            }
        }

        foreach (var (start, size) in calls)
        {
            var matched = true;
            for (var k = start; k < start + size; k++)
            {
                if (stored.TryGetValue(KeyRef.Of(increments[k]), out var fingerprint))
                {
                    matched &= IdempotencyFingerprint.Matches(fingerprint, increments[k].Fingerprint);
                }
            }

            UsageCalls.SetAll(statuses, start, size, matched ? UsageWriteStatus.Duplicate : UsageWriteStatus.Conflict);
        }

        await DeleteKeysAsync(parts.Where(p => newKeys.Contains(KeyRef.Of(p))).ToList(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// When one part of a multi-meter call overflowed, takes the call's other parts back out of their counters and
    /// releases its keys, so that the call is refused whole. Subtracting within the transaction is exact: the parts
    /// were added in it.
    /// </summary>
    private async Task KeepCallWholeAsync(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses, int start, int size, CancellationToken cancellationToken)
    {
        if (!statuses.AsSpan(start, size).Contains(UsageWriteStatus.WouldOverflow))
        {
            return;
        }

        var parts = Enumerable.Range(start, size).Select(k => increments[k]).ToList();
        var taken = Enumerable.Range(start, size).Where(k => statuses[k] == UsageWriteStatus.Recorded).Select(k => increments[k]).ToList();
        if (taken.Count > 0)
        {
            var subtract = new NpgsqlCommand(_queries.Subtract, _connection, _transaction);
            await using var subtractScope = subtract.ConfigureAwait(false);
            subtract.Parameters.Add(TextArray("accounts", taken.Select(p => p.Account)));
            subtract.Parameters.Add(BigintArray("bucket_starts", taken.Select(p => p.BucketStart.ToUnixTimeSeconds())));
            subtract.Parameters.Add(TextArray("meters", taken.Select(p => p.Meter)));
            subtract.Parameters.Add(BigintArray("quantities", taken.Select(p => p.Quantity)));
            await subtract.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await DeleteKeysAsync(parts.Where(p => p.IdempotencyKey is not null).ToList(), cancellationToken).ConfigureAwait(false);
        UsageCalls.SetAll(statuses, start, size, UsageWriteStatus.WouldOverflow);
    }

    /// <summary>
    /// Settles the calls judged against an earlier call of the batch. A repeat of a call that turned out recorded
    /// before, or conflicting, shares its fate. When that first call was refused for overflow, its key was released:
    /// a lone increment is then a first use in its own right, and a multi-meter call that repeated it is refused as it was.
    /// </summary>
    private async Task SettleRepeatsAsync(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses, BatchKeys keys, CancellationToken cancellationToken)
    {
        foreach (var (start, size, owner) in keys.Repeats)
        {
            var ownerStatus = statuses[owner];
            if (ownerStatus == UsageWriteStatus.Conflict && statuses[start] == UsageWriteStatus.Duplicate)
            {
                UsageCalls.SetAll(statuses, start, size, UsageWriteStatus.Conflict);
            }
            else if (ownerStatus != UsageWriteStatus.WouldOverflow)
            {
                continue;
            }
            else if (size == 1 && increments[owner].PartCount <= 1)
            {
                if ((await InsertKeysAsync([increments[start]], cancellationToken).ConfigureAwait(false)).Count == 1)
                {
                    keys.Claim(increments, start, 1);
                    statuses[start] = await ApplyAloneAsync(increments[start], cancellationToken).ConfigureAwait(false);
                }
            }
            else if (statuses[start] == UsageWriteStatus.Duplicate)
            {
                UsageCalls.SetAll(statuses, start, size, UsageWriteStatus.WouldOverflow);
            }
        }
    }

    private async Task DeleteKeysAsync(List<UsageIncrement> keyed, CancellationToken cancellationToken)
    {
        if (keyed.Count == 0)
        {
            return;
        }

        var delete = new NpgsqlCommand(_queries.Keys.Delete, _connection, _transaction);
        await using var deleteScope = delete.ConfigureAwait(false);
        delete.Parameters.Add(UuidArray(HashesOf(keyed).Hashes));
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the batch's gauge readings (<paramref name="indexes"/>, in arrival order) in one statement. One statement
    /// cannot touch a row twice, so the readings of one gauge bucket are folded first by the rule the statement applies
    /// against the stored row: the latest (a later arrival wins a tie) or, for Max, the highest. Rows are written in
    /// (account, meter, bucket) order, the order in which closes mark them.
    /// </summary>
    private async Task UpsertReadingsAsync(IReadOnlyList<UsageIncrement> increments, List<int> indexes, CancellationToken cancellationToken)
    {
        if (indexes.Count == 0)
        {
            return;
        }

        var batch = new NpgsqlBatch(_connection, _transaction) { BatchCommands = { ReadingsCommand(increments, indexes) } };
        await using var batchScope = batch.ConfigureAwait(false);
        // Every reading that reached here is recorded (its status stays Recorded): a reading that loses to the stored
        // one was still taken into account, as a later duplicate of an older value.
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The statement of <see cref="UpsertReadingsAsync"/>, for the readings at <paramref name="indexes"/>.</summary>
    private NpgsqlBatchCommand ReadingsCommand(IReadOnlyList<UsageIncrement> increments, List<int> indexes)
    {
        var kept = new Dictionary<CounterKey, UsageIncrement>();
        foreach (var index in indexes)
        {
            var reading = increments[index];
            var key = CounterKey.Of(reading);
            if (!kept.TryGetValue(key, out var held) || Replaces(reading, held))
            {
                kept[key] = reading;
            }
        }

        var rows = kept.OrderBy(r => r.Key.Account, StringComparer.Ordinal).ThenBy(r => r.Key.Meter, StringComparer.Ordinal).ThenBy(r => r.Key.BucketStart).Select(r => r.Value).ToList();
        var command = new NpgsqlBatchCommand(_queries.Gauges.UpsertReadings);
        command.Parameters.Add(TextArray("accounts", rows.Select(r => r.Account)));
        command.Parameters.Add(BigintArray("bucket_starts", rows.Select(r => r.BucketStart.ToUnixTimeSeconds())));
        command.Parameters.Add(TextArray("meters", rows.Select(r => r.Meter)));
        command.Parameters.Add(new NpgsqlParameter("kinds", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = rows.Select(r => (short)r.Kind).ToArray() });
        command.Parameters.Add(BigintArray("values", rows.Select(r => r.Quantity)));
        command.Parameters.Add(BigintArray("observed_at", rows.Select(r => r.ObservedAt.ToUnixTimeMilliseconds())));
        return command;
    }

    /// <summary>Whether a later reading of the same gauge bucket replaces the one held: the statement's rule, applied in memory.</summary>
    private static bool Replaces(UsageIncrement later, UsageIncrement held) =>
        later.Kind == MeterKind.Max ? later.Quantity > held.Quantity : later.ObservedAt.ToUnixTimeMilliseconds() >= held.ObservedAt.ToUnixTimeMilliseconds();

    /// <summary>Adds one increment on its own; when it would overflow, refuses it and releases its idempotency key.</summary>
    private async Task<UsageWriteStatus> ApplyAloneAsync(UsageIncrement increment, CancellationToken cancellationToken)
    {
        var counter = CounterKey.Of(increment);
        if ((await UpsertAsync([(counter, increment.Quantity)], cancellationToken).ConfigureAwait(false)).Count == 1)
        {
            return UsageWriteStatus.Recorded;
        }

        if (increment.IdempotencyKey is not null)
        {
            await DeleteKeysAsync([increment], cancellationToken).ConfigureAwait(false);
        }

        return UsageWriteStatus.WouldOverflow;
    }

    /// <summary>Inserts the keys of the given increments; returns those that were not stored before.</summary>
    private async Task<HashSet<KeyRef>> InsertKeysAsync(IEnumerable<UsageIncrement> owners, CancellationToken cancellationToken)
    {
        var list = owners.ToList();
        var inserted = new HashSet<KeyRef>();
        if (list.Count == 0)
        {
            return inserted;
        }

        // Beside the keys stored as text before schema version 8 while any is left; then on the hashes alone.
        var legacy = _queries.Keys.LegacyKeysLeft;
        var command = new NpgsqlCommand(legacy ? _queries.Keys.InsertBesideLegacy : _queries.Keys.Insert, _connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var (hashes, byHash) = HashesOf(list);
        AddKeyParameters(command.Parameters, list, hashes, legacy);

        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            inserted.Add(byHash[reader.GetGuid(0)]);
        }

        return inserted;
    }

    /// <summary>Adds to counters; returns those the overflow guard let through.</summary>
    private async Task<HashSet<CounterKey>> UpsertAsync(IReadOnlyList<(CounterKey Counter, long Quantity)> additions, CancellationToken cancellationToken)
    {
        var applied = new HashSet<CounterKey>(additions.Count);
        if (additions.Count == 0)
        {
            return applied;
        }

        var batch = new NpgsqlBatch(_connection, _transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        var upsert = new NpgsqlBatchCommand(_queries.Upsert);
        AddCounterParameters(upsert.Parameters, additions, string.Empty);
        batch.BatchCommands.Add(upsert);

        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied.Add(new CounterKey(reader.GetString(0), reader.GetString(2), reader.GetInt64(1)));
        }

        return applied;
    }

    /// <summary>The stored hashes of the increments' keys, in the increments' order, and the key each stands for.</summary>
    private static (Guid[] Hashes, Dictionary<Guid, KeyRef> Keys) HashesOf(List<UsageIncrement> keyed)
    {
        var hashes = new Guid[keyed.Count];
        var keys = new Dictionary<Guid, KeyRef>(keyed.Count);
        for (var i = 0; i < keyed.Count; i++)
        {
            hashes[i] = IdempotencyKeyHash.ToUuid(IdempotencyKeyHash.Of(keyed[i]));
            keys[hashes[i]] = KeyRef.Of(keyed[i]);
        }

        return (hashes, keys);
    }

    private static NpgsqlParameter UuidArray(Guid[] hashes) =>
        new("key_hashes", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = hashes };

    private static NpgsqlParameter TextArray(string name, IEnumerable<string> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    /// <summary>The fingerprints to store, NULL for an increment that carries none.</summary>
    private static NpgsqlParameter FingerprintArray(List<UsageIncrement> keyed) =>
        new("fingerprints", NpgsqlDbType.Array | NpgsqlDbType.Bigint)
        {
            Value = keyed.Select(i => i.Fingerprint == IdempotencyFingerprint.None ? (long?)null : i.Fingerprint).ToArray(),
        };

    private static NpgsqlParameter BigintArray(string name, IEnumerable<long> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = values.ToArray() };

    /// <summary>A batch built as one round trip: the statuses it has when it commits, and the statements with COMMIT.</summary>
    internal sealed record OneRoundTrip(UsageWriteStatus[] Statuses, NpgsqlBatch Batch);

    private readonly record struct CounterKey(string Account, string Meter, long BucketStart)
    {
        public static readonly IComparer<CounterKey> Comparer = Comparer<CounterKey>.Create((a, b) =>
        {
            var order = string.CompareOrdinal(a.Account, b.Account);
            order = order != 0 ? order : a.BucketStart.CompareTo(b.BucketStart);
            return order != 0 ? order : string.CompareOrdinal(a.Meter, b.Meter);
        });

        public static CounterKey Of(UsageIncrement increment) =>
            new(increment.Account, increment.Meter, increment.BucketStart.ToUnixTimeSeconds());
    }

    private readonly record struct KeyRef(string Account, string Meter, string Key)
    {
        public static KeyRef Of(UsageIncrement increment) => new(increment.Account, increment.Meter, increment.IdempotencyKey!);

        public static readonly IComparer<KeyRef> Comparer = Comparer<KeyRef>.Create((a, b) =>
        {
            var order = string.CompareOrdinal(a.Account, b.Account);
            order = order != 0 ? order : string.CompareOrdinal(a.Meter, b.Meter);
            return order != 0 ? order : string.CompareOrdinal(a.Key, b.Key);
        });
    }
}
