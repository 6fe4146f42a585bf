using System.Buffers;
using System.Text.Json;
using Gravity.Usage.Internal;
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
    private readonly SqliteCommand _subtract;
    private readonly SqliteCommand _upsertReading;
    private readonly SqliteRawStatement _upsertMany;
    private readonly int _upsertManyRows;
    private readonly SqliteCommand _savepoint;
    private readonly SqliteCommand _rollbackToSavepoint;
    private readonly SqliteCommand _releaseSavepoint;
    private readonly ArrayBufferWriter<byte> _rows = new(4096);

    private SqliteBatchWriter(SqliteConnection connection, SqliteQueries queries)
    {
        Connection = connection;
        _upsert = Prepare(queries.Upsert, "$account", "$bucket_start", "$meter", "$quantity");
        _subtract = Prepare(queries.Subtract, "$account", "$bucket_start", "$meter", "$quantity");
        _upsertReading = Prepare(queries.Gauges.UpsertReading, "$account", "$bucket_start", "$meter", "$kind", "$value", "$observed_at");
        // The batch's rows go in as the UTF-8 the JSON writer made, without a detour through a .NET string.
        _upsertMany = new SqliteRawStatement(connection, queries.UpsertMany);
        try
        {
            _upsertManyRows = _upsertMany.IndexOf("$rows");
            _savepoint = Prepare("SAVEPOINT counters");
            _rollbackToSavepoint = Prepare("ROLLBACK TO counters");
            _releaseSavepoint = Prepare("RELEASE counters");
            Keys = new SqliteIdempotencyKeys(connection, queries.Keys);
        }
        catch
        {
            // A raw statement is not finalized with its connection: one left alive would go back to the pool with it.
            _upsertMany.Dispose();
            throw;
        }
    }

    public SqliteConnection Connection { get; }

    /// <summary>Gets the idempotency keys on this connection (hashed; those from before schema version 8 read beside).</summary>
    public SqliteIdempotencyKeys Keys { get; }

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

    /// <summary>
    /// Applies the batch in one IMMEDIATE transaction; on any error nothing of it is applied. The parts of a
    /// multi-meter call (<see cref="UsageIncrement.PartCount"/>) are applied all or none.
    /// </summary>
    public UsageWriteStatus[] Write(IReadOnlyList<UsageIncrement> increments)
    {
        var statuses = new UsageWriteStatus[increments.Count];
        using var transaction = Connection.BeginTransaction(deferred: false);
        _upsert.Transaction = transaction;
        Keys.Transaction = transaction;
        _subtract.Transaction = transaction;
        _upsertReading.Transaction = transaction;
        _savepoint.Transaction = transaction;
        _rollbackToSavepoint.Transaction = transaction;
        _releaseSavepoint.Transaction = transaction;

        var counters = new Dictionary<CounterKey, CounterDelta>(increments.Count);
        var keys = new BatchKeys();
        List<(int Start, int Size)>? multiPartCalls = null;
        for (int i = 0, size; i < increments.Count; i += size)
        {
            size = UsageCalls.SizeAt(increments, i);
            if (increments[i].IsReading)
            {
                continue; // Gauge readings are written by WriteReadings, after the counters.
            }

            var claim = ClaimKeys(increments, i, size, keys);
            if (claim != UsageWriteStatus.Recorded)
            {
                UsageCalls.SetAll(statuses, i, size, claim);
                continue;
            }

            if (size > 1)
            {
                (multiPartCalls ??= []).Add((i, size));
            }

            for (var k = i; k < i + size; k++)
            {
                var counter = new CounterKey(increments[k].Account, increments[k].Meter, increments[k].BucketStart.ToUnixTimeSeconds());
                if (!counters.TryGetValue(counter, out var delta))
                {
                    counters[counter] = delta = new CounterDelta();
                }

                delta.Add(k, increments[k].Quantity);
            }
        }

        if (UpsertAllAtOnce(counters))
        {
            counters.Clear();
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

        foreach (var (start, size) in multiPartCalls ?? [])
        {
            KeepCallWhole(increments, statuses, start, size);
        }

        ApplyRepeatsOfRefusedCalls(increments, statuses, keys);
        WriteReadings(increments, statuses, keys);
        transaction.Commit();
        return statuses;
    }

    /// <summary>
    /// Writes the batch's gauge readings in arrival order, each guarded by its idempotency key as an increment is
    /// (a retry is a duplicate, another call reusing the key a conflict). A reading never overflows.
    /// </summary>
    private void WriteReadings(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses, BatchKeys keys)
    {
        for (var i = 0; i < increments.Count; i++)
        {
            var reading = increments[i];
            if (!reading.IsReading)
            {
                continue;
            }

            var claim = ClaimKeys(increments, i, 1, keys);
            if (claim != UsageWriteStatus.Recorded)
            {
                statuses[i] = claim;
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

    /// <summary>
    /// Claims the idempotency key of the call at <paramref name="start"/> for each of its parts: <see cref="UsageWriteStatus.Recorded"/>
    /// when the key is new for every part (the call is then counted), otherwise <see cref="UsageWriteStatus.Duplicate"/>
    /// or <see cref="UsageWriteStatus.Conflict"/> for the whole call, leaving the key rows as they were.
    /// </summary>
    private UsageWriteStatus ClaimKeys(IReadOnlyList<UsageIncrement> increments, int start, int size, BatchKeys keys)
    {
        if (increments[start].IdempotencyKey is null)
        {
            return UsageWriteStatus.Recorded;
        }

        // A key an earlier call of this batch claimed is judged in memory, against that call's fingerprint.
        if (keys.JudgeRepeat(increments, start, size) is { } repeat)
        {
            return repeat;
        }

        var inserted = 0;
        var matched = true;
        bool[]? insertedParts = size > 1 ? new bool[size] : null;
        for (var k = 0; k < size; k++)
        {
            var part = increments[start + k];
            if (InsertKey(part))
            {
                inserted++;
                if (insertedParts is not null)
                {
                    insertedParts[k] = true;
                }
            }
            else
            {
                matched &= IdempotencyFingerprint.Matches(ReadFingerprint(part), part.Fingerprint);
            }
        }

        if (inserted == size)
        {
            keys.Claim(increments, start, size);
            return UsageWriteStatus.Recorded;
        }

        // Recorded before, by this call (a retry) or another (a conflict): release what this attempt inserted.
        for (var k = 0; insertedParts is not null && k < size; k++)
        {
            if (insertedParts[k])
            {
                DeleteKey(increments[start + k]);
            }
        }

        return matched ? UsageWriteStatus.Duplicate : UsageWriteStatus.Conflict;
    }

    /// <summary>
    /// When one part of a multi-meter call overflowed, takes the call's other parts back out of their counters and
    /// releases its keys, so that the call is refused whole.
    /// </summary>
    /// <remarks>
    /// Subtracting within the transaction is exact: the parts were added in it. An increment of another call that was
    /// refused on the same counter meanwhile stays refused: near <see cref="UsageBillingOptions.MaxCounterQuantity"/>,
    /// refusing is the safe side.
    /// </remarks>
    private void KeepCallWhole(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses, int start, int size)
    {
        if (!statuses.AsSpan(start, size).Contains(UsageWriteStatus.WouldOverflow))
        {
            return;
        }

        for (var k = start; k < start + size; k++)
        {
            var part = increments[k];
            if (statuses[k] == UsageWriteStatus.Recorded)
            {
                Subtract(new CounterKey(part.Account, part.Meter, part.BucketStart.ToUnixTimeSeconds()), part.Quantity);
            }

            if (part.IdempotencyKey is not null)
            {
                DeleteKey(part);
            }
        }

        UsageCalls.SetAll(statuses, start, size, UsageWriteStatus.WouldOverflow);
    }

    /// <summary>
    /// A repeat of a key is a duplicate only if the key's first use in this batch was counted. When that first use
    /// was refused for overflow, its key was released: a lone increment is then a first use in its own right, and a
    /// multi-meter call that repeated it is refused as it was.
    /// </summary>
    private void ApplyRepeatsOfRefusedCalls(IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses, BatchKeys keys)
    {
        foreach (var (start, size, owner) in keys.Repeats)
        {
            if (statuses[owner] != UsageWriteStatus.WouldOverflow)
            {
                continue;
            }

            if (size == 1 && increments[owner].PartCount <= 1)
            {
                if (InsertKey(increments[start]))
                {
                    keys.Claim(increments, start, 1);
                    statuses[start] = UsageWriteStatus.Recorded;
                    ApplyAlone(increments[start], ref statuses[start]);
                }
            }
            else if (statuses[start] == UsageWriteStatus.Duplicate)
            {
                UsageCalls.SetAll(statuses, start, size, UsageWriteStatus.WouldOverflow);
            }
        }
    }

    public void Dispose()
    {
        _upsert.Dispose();
        Keys.Dispose();
        _subtract.Dispose();
        _upsertReading.Dispose();
        _upsertMany.Dispose();
        _savepoint.Dispose();
        _rollbackToSavepoint.Dispose();
        _releaseSavepoint.Dispose();
        Connection.Dispose();
    }

    /// <summary>Adds one increment on its own; when it would overflow, refuses it and releases its idempotency key.</summary>
    private void ApplyAlone(UsageIncrement increment, ref UsageWriteStatus status)
    {
        var counter = new CounterKey(increment.Account, increment.Meter, increment.BucketStart.ToUnixTimeSeconds());
        if (!Upsert(counter, increment.Quantity))
        {
            status = UsageWriteStatus.WouldOverflow;
            if (increment.IdempotencyKey is not null)
            {
                DeleteKey(increment);
            }
        }
    }

    private bool InsertKey(UsageIncrement increment) => Keys.TryInsert(increment);

    /// <summary>The fingerprint stored with a key; <see cref="IdempotencyFingerprint.None"/> for a key stored without one.</summary>
    private long ReadFingerprint(UsageIncrement increment) => Keys.ReadFingerprint(increment);

    /// <summary>Takes back a quantity added to a counter earlier in this transaction; a counter left empty is removed.</summary>
    private void Subtract(CounterKey counter, long quantity)
    {
        _subtract.Parameters[0].Value = counter.Account;
        _subtract.Parameters[1].Value = counter.BucketStart;
        _subtract.Parameters[2].Value = counter.Meter;
        _subtract.Parameters[3].Value = quantity;
        _subtract.ExecuteNonQuery();
    }

    private void DeleteKey(UsageIncrement increment) => Keys.Delete(increment);

    /// <summary>
    /// Adds every counter's folded sum in one statement; true when all of them were applied. When the guard refused
    /// any (or a folded sum does not fit), the statement is undone and false returned: the caller then adds them one
    /// at a time, so that only the increments that overflow are refused. Near the limit only, so rarely.
    /// </summary>
    private bool UpsertAllAtOnce(Dictionary<CounterKey, CounterDelta> counters)
    {
        if (counters.Count < 2)
        {
            return false; // The one-row statement is as cheap, and needs no savepoint.
        }

        _rows.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_rows))
        {
            json.WriteStartArray();
            foreach (var (counter, delta) in counters)
            {
                if (delta.SumOverflowed)
                {
                    return false;
                }

                json.WriteStartArray();
                json.WriteStringValue(counter.Account);
                json.WriteNumberValue(counter.BucketStart);
                json.WriteStringValue(counter.Meter);
                json.WriteNumberValue(delta.Sum);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        _savepoint.ExecuteNonQuery();
        _upsertMany.BindText(_upsertManyRows, _rows.WrittenSpan);
        if (_upsertMany.Execute() == counters.Count)
        {
            _releaseSavepoint.ExecuteNonQuery();
            return true;
        }

        _rollbackToSavepoint.ExecuteNonQuery();
        _releaseSavepoint.ExecuteNonQuery();
        return false;
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
}
