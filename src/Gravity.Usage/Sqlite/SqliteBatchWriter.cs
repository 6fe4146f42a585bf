using Gravity.Usage.Sql;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// The store's one write connection, with its statements prepared once. The increment path runs on prepared
/// <see cref="SqliteCommand"/>s rather than Dapper: it executes one statement per counter per batch, and skipping the
/// per-call parameter mapping roughly halves its cost.
/// </summary>
internal sealed class SqliteBatchWriter : IDisposable
{
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _insertKey;
    private readonly SqliteCommand _deleteKey;
    private readonly SqliteCommand _upsertReading;

    private SqliteBatchWriter(SqliteConnection connection, SqliteQueries queries)
    {
        Connection = connection;
        _upsertReading = Prepare(queries.Gauges.UpsertReading, "$account", "$bucket_start", "$meter", "$kind", "$value", "$observed_at");
        _upsert = Prepare(queries.Upsert, "$account", "$bucket_start", "$meter", "$quantity");
        _insertKey = Prepare(queries.InsertKey, "$account", "$meter", "$key", "$recorded_at");
        _deleteKey = Prepare(queries.DeleteKey, "$account", "$meter", "$key");
    }

    public SqliteConnection Connection { get; }

    public static SqliteBatchWriter Open(string connectionString, SqliteQueries queries)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                // FULL: a commit is on disk (WAL fsync) before any caller's task completes.
                pragma.CommandText = "PRAGMA synchronous = FULL";
                pragma.ExecuteNonQuery();
            }

            return new SqliteBatchWriter(connection, queries);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Applies the batch in one IMMEDIATE transaction; on any error nothing of it is applied.</summary>
    public UsageWriteStatus[] Write(IReadOnlyList<UsageIncrement> increments)
    {
        var statuses = new UsageWriteStatus[increments.Count];
        using var transaction = Connection.BeginTransaction(deferred: false);
        _upsert.Transaction = transaction;
        _insertKey.Transaction = transaction;
        _deleteKey.Transaction = transaction;
        _upsertReading.Transaction = transaction;

        var counters = new Dictionary<CounterKey, CounterDelta>();
        List<(int Index, KeyRef Key)>? repeatsInBatch = null;
        Dictionary<KeyRef, int>? keyOwners = null;
        for (var i = 0; i < increments.Count; i++)
        {
            var increment = increments[i];
            if (increment.IsReading)
            {
                continue; // Gauge readings are written by WriteReadings, after the counters.
            }

            if (increment.IdempotencyKey is { } key)
            {
                var keyRef = new KeyRef(increment.Account, increment.Meter, key);
                if (!InsertKey(increment, key))
                {
                    statuses[i] = UsageWriteStatus.Duplicate;
                    if (keyOwners is not null && keyOwners.ContainsKey(keyRef))
                    {
                        (repeatsInBatch ??= []).Add((i, keyRef));
                    }

                    continue;
                }

                (keyOwners ??= [])[keyRef] = i;
            }

            var counter = new CounterKey(increment.Account, increment.Meter, increment.BucketStart.ToUnixTimeSeconds());
            if (!counters.TryGetValue(counter, out var delta))
            {
                counters[counter] = delta = new CounterDelta();
            }

            delta.Add(i, increment.Quantity);
        }

        foreach (var (counter, delta) in counters)
        {
            if (!delta.SumOverflowed && Upsert(counter, delta.Sum))
            {
                continue;
            }

            // The folded sum does not fit: add the increments one at a time so that only those that overflow are refused.
            foreach (var index in delta.Indexes)
            {
                ApplyAlone(increments[index], ref statuses[index]);
            }
        }

        // A repeat of a key is a duplicate only if the key's first use in this batch was counted. When that first use
        // was refused for overflow, its key was released, and the repeat is a first use in its own right.
        foreach (var (index, keyRef) in repeatsInBatch ?? [])
        {
            if (statuses[keyOwners![keyRef]] == UsageWriteStatus.WouldOverflow && InsertKey(increments[index], keyRef.Key))
            {
                keyOwners[keyRef] = index;
                statuses[index] = UsageWriteStatus.Recorded;
                ApplyAlone(increments[index], ref statuses[index]);
            }
        }

        WriteReadings(increments, statuses);
        transaction.Commit();
        return statuses;
    }

    /// <summary>
    /// Writes the batch's gauge readings in arrival order, each guarded by its idempotency key as increments are (a
    /// key repeated in the batch finds the first use's key stored). A reading never overflows, so a key once stored stays.
    /// </summary>
    private void WriteReadings(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses)
    {
        for (var i = 0; i < increments.Count; i++)
        {
            var reading = increments[i];
            if (!reading.IsReading)
            {
                continue;
            }

            if (reading.IdempotencyKey is { } key && !InsertKey(reading, key))
            {
                statuses[i] = UsageWriteStatus.Duplicate;
                continue;
            }

            _upsertReading.Parameters[0].Value = reading.Account;
            _upsertReading.Parameters[1].Value = reading.BucketStart.ToUnixTimeSeconds();
            _upsertReading.Parameters[2].Value = reading.Meter;
            _upsertReading.Parameters[3].Value = (int)reading.Kind;
            _upsertReading.Parameters[4].Value = reading.Quantity;
            _upsertReading.Parameters[5].Value = reading.ObservedAt.ToUnixTimeMilliseconds();
            _upsertReading.ExecuteNonQuery();
            statuses[i] = UsageWriteStatus.Recorded;
        }
    }

    public void Dispose()
    {
        _upsert.Dispose();
        _insertKey.Dispose();
        _deleteKey.Dispose();
        _upsertReading.Dispose();
        Connection.Dispose();
    }

    /// <summary>Adds one increment on its own; when it would overflow, refuses it and releases its idempotency key.</summary>
    private void ApplyAlone(UsageIncrement increment, ref UsageWriteStatus status)
    {
        var counter = new CounterKey(increment.Account, increment.Meter, increment.BucketStart.ToUnixTimeSeconds());
        if (!Upsert(counter, increment.Quantity))
        {
            status = UsageWriteStatus.WouldOverflow;
            if (increment.IdempotencyKey is { } key)
            {
                DeleteKey(increment, key);
            }
        }
    }

    private bool InsertKey(UsageIncrement increment, string key)
    {
        _insertKey.Parameters[0].Value = increment.Account;
        _insertKey.Parameters[1].Value = increment.Meter;
        _insertKey.Parameters[2].Value = key;
        _insertKey.Parameters[3].Value = increment.RecordedAt.ToUnixTimeMilliseconds();
        return _insertKey.ExecuteNonQuery() == 1;
    }

    private void DeleteKey(UsageIncrement increment, string key)
    {
        _deleteKey.Parameters[0].Value = increment.Account;
        _deleteKey.Parameters[1].Value = increment.Meter;
        _deleteKey.Parameters[2].Value = key;
        _deleteKey.ExecuteNonQuery();
    }

    /// <summary>Adds to a counter; false when the guard refused it because the counter would overflow.</summary>
    private bool Upsert(CounterKey counter, long quantity)
    {
        _upsert.Parameters[0].Value = counter.Account;
        _upsert.Parameters[1].Value = counter.BucketStart;
        _upsert.Parameters[2].Value = counter.Meter;
        _upsert.Parameters[3].Value = quantity;
        return _upsert.ExecuteNonQuery() == 1;
    }

    private SqliteCommand Prepare(string sql, params string[] parameterNames)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private readonly record struct CounterKey(string Account, string Meter, long BucketStart);

    private readonly record struct KeyRef(string Account, string Meter, string Key);
}
