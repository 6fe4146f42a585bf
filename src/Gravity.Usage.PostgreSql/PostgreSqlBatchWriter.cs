using Gravity.Usage.Sql;
using Npgsql;
using NpgsqlTypes;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// Applies one batch of increments inside the caller's transaction with a fixed number of round trips: one statement
/// for all idempotency keys and one for all counters, each over arrays, whatever the batch size. Only counters whose
/// folded sum would overflow fall back to one statement per increment.
/// </summary>
internal sealed class PostgreSqlBatchWriter
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly PostgreSqlQueries _queries;

    public PostgreSqlBatchWriter(NpgsqlConnection connection, NpgsqlTransaction transaction, PostgreSqlQueries queries)
    {
        _connection = connection;
        _transaction = transaction;
        _queries = queries;
    }

    /// <summary>Writes the batch and returns one status per increment; the caller commits.</summary>
    public async Task<UsageWriteStatus[]> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken)
    {
        var statuses = new UsageWriteStatus[increments.Count];

        // The first use of a key in the batch owns it; later uses are duplicates unless that first use overflows.
        var keyOwners = new Dictionary<KeyRef, int>();
        var repeatsInBatch = new List<(int Index, KeyRef Key)>();
        for (var i = 0; i < increments.Count; i++)
        {
            if (increments[i].IdempotencyKey is { } key)
            {
                var keyRef = new KeyRef(increments[i].Account, increments[i].Meter, key);
                if (!keyOwners.TryAdd(keyRef, i))
                {
                    statuses[i] = UsageWriteStatus.Duplicate;
                    repeatsInBatch.Add((i, keyRef));
                }
            }
        }

        var newKeys = await InsertKeysAsync(keyOwners.OrderBy(k => k.Key, KeyRef.Comparer).Select(k => increments[k.Value]), cancellationToken).ConfigureAwait(false);
        var readings = new List<int>();
        var counters = new Dictionary<CounterKey, CounterDelta>();
        for (var i = 0; i < increments.Count; i++)
        {
            var increment = increments[i];
            if (increment.IdempotencyKey is { } key)
            {
                var keyRef = new KeyRef(increment.Account, increment.Meter, key);
                if (keyOwners[keyRef] != i || !newKeys.Contains(keyRef))
                {
                    // A repeat within the batch, or a key stored by an earlier batch.
                    statuses[i] = UsageWriteStatus.Duplicate;
                    continue;
                }
            }

            if (increment.IsReading)
            {
                readings.Add(i); // Written by UpsertReadingsAsync, after the counters.
                continue;
            }

            var counter = CounterKey.Of(increment);
            if (!counters.TryGetValue(counter, out var delta))
            {
                counters[counter] = delta = new CounterDelta();
            }

            delta.Add(i, increment.Quantity);
        }

        // Counters in one order for every writer, so that concurrent batches lock rows in the same order.
        var folded = counters.Where(c => !c.Value.SumOverflowed).OrderBy(c => c.Key, CounterKey.Comparer).ToList();
        var applied = await UpsertAsync(folded.Select(c => (c.Key, c.Value.Sum)).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var (counter, delta) in counters.OrderBy(c => c.Key, CounterKey.Comparer))
        {
            if (delta.SumOverflowed || !applied.Contains(counter))
            {
                // The folded sum does not fit: add the increments one at a time so that only those that overflow are refused.
                foreach (var index in delta.Indexes)
                {
                    statuses[index] = await ApplyAloneAsync(increments[index], cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await UpsertReadingsAsync(increments, readings, cancellationToken).ConfigureAwait(false);

        // A repeat of a key is a duplicate only if the key's first use in this batch was counted. When that first use
        // was refused for overflow, its key was released, and the repeat is a first use in its own right.
        foreach (var (index, keyRef) in repeatsInBatch)
        {
            if (statuses[keyOwners[keyRef]] == UsageWriteStatus.WouldOverflow
                && (await InsertKeysAsync([increments[index]], cancellationToken).ConfigureAwait(false)).Count == 1)
            {
                keyOwners[keyRef] = index;
                statuses[index] = await ApplyAloneAsync(increments[index], cancellationToken).ConfigureAwait(false);
            }
        }

        return statuses;
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
        var command = new NpgsqlCommand(_queries.Gauges.UpsertReadings, _connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(TextArray("accounts", rows.Select(r => r.Account)));
        command.Parameters.Add(BigintArray("bucket_starts", rows.Select(r => r.BucketStart.ToUnixTimeSeconds())));
        command.Parameters.Add(TextArray("meters", rows.Select(r => r.Meter)));
        command.Parameters.Add(new NpgsqlParameter("kinds", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = rows.Select(r => (short)r.Kind).ToArray() });
        command.Parameters.Add(BigintArray("values", rows.Select(r => r.Quantity)));
        command.Parameters.Add(BigintArray("observed_at", rows.Select(r => r.ObservedAt.ToUnixTimeMilliseconds())));
        // Every reading that reached here is recorded (its status stays Recorded): a reading that loses to the stored
        // one was still taken into account, as a later duplicate of an older value.
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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

        if (increment.IdempotencyKey is { } key)
        {
            var delete = new NpgsqlCommand(_queries.DeleteKey, _connection, _transaction);
            await using var deleteScope = delete.ConfigureAwait(false);
            delete.Parameters.Add(new NpgsqlParameter<string>("account", increment.Account));
            delete.Parameters.Add(new NpgsqlParameter<string>("meter", increment.Meter));
            delete.Parameters.Add(new NpgsqlParameter<string>("key", key));
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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

        var command = new NpgsqlCommand(_queries.InsertKeys, _connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(TextArray("accounts", list.Select(i => i.Account)));
        command.Parameters.Add(TextArray("meters", list.Select(i => i.Meter)));
        command.Parameters.Add(TextArray("keys", list.Select(i => i.IdempotencyKey!)));
        command.Parameters.Add(BigintArray("recorded_at", list.Select(i => i.RecordedAt.ToUnixTimeMilliseconds())));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            inserted.Add(new KeyRef(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return inserted;
    }

    /// <summary>Adds to counters; returns those the overflow guard let through.</summary>
    private async Task<HashSet<CounterKey>> UpsertAsync(IReadOnlyList<(CounterKey Counter, long Quantity)> additions, CancellationToken cancellationToken)
    {
        var applied = new HashSet<CounterKey>();
        if (additions.Count == 0)
        {
            return applied;
        }

        var command = new NpgsqlCommand(_queries.Upsert, _connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(TextArray("accounts", additions.Select(a => a.Counter.Account)));
        command.Parameters.Add(BigintArray("bucket_starts", additions.Select(a => a.Counter.BucketStart)));
        command.Parameters.Add(TextArray("meters", additions.Select(a => a.Counter.Meter)));
        command.Parameters.Add(BigintArray("quantities", additions.Select(a => a.Quantity)));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied.Add(new CounterKey(reader.GetString(0), reader.GetString(2), reader.GetInt64(1)));
        }

        return applied;
    }

    private static NpgsqlParameter TextArray(string name, IEnumerable<string> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    private static NpgsqlParameter BigintArray(string name, IEnumerable<long> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = values.ToArray() };

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
        public static readonly IComparer<KeyRef> Comparer = Comparer<KeyRef>.Create((a, b) =>
        {
            var order = string.CompareOrdinal(a.Account, b.Account);
            order = order != 0 ? order : string.CompareOrdinal(a.Meter, b.Meter);
            return order != 0 ? order : string.CompareOrdinal(a.Key, b.Key);
        });
    }
}
