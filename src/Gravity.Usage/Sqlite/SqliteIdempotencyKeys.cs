using Gravity.Usage.Internal;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// The idempotency keys as the write connection sees them, on prepared statements: claiming a key stores its 16-byte
/// hash; a key stored before schema version 8 (as text) is found and honoured while any such key is left.
/// </summary>
internal sealed class SqliteIdempotencyKeys : IDisposable
{
    /// <summary>How many keys one step of the sweep reads: a few milliseconds of the write lock.</summary>
    internal const int SweepWindow = 10_000;

    private readonly SqliteRawStatement _insert;
    private readonly int _insertHash;
    private readonly int _insertRecordedAt;
    private readonly int _insertFingerprint;
    private readonly SqliteCommand _read;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _legacyRead;
    private readonly SqliteCommand _sweepRead;
    private readonly SqliteCommand _sweepDelete;
    private readonly SqliteKeySql _sql;
    private readonly SqliteConnection _connection;

    public SqliteIdempotencyKeys(SqliteConnection connection, SqliteKeySql sql)
    {
        _connection = connection;
        _sql = sql;

        // Every keyed increment runs the insert: on SQLite's handle, with the hash bound from the stack.
        _insert = new SqliteRawStatement(connection, sql.Insert);
        _insertHash = _insert.IndexOf("$key_hash");
        _insertRecordedAt = _insert.IndexOf("$recorded_at");
        _insertFingerprint = _insert.IndexOf("$fingerprint");
        _read = Prepare(sql.ReadFingerprint, "$key_hash");
        _delete = Prepare(sql.Delete, "$key_hash");
        _legacyRead = Prepare(sql.LegacyRead, "$account", "$meter", "$key");
        _sweepRead = Prepare(sql.SweepRead, "$after", "$window");
        _sweepDelete = Prepare(sql.SweepDelete, "$after", "$through", "$pruned_before");
        LegacyKeysLeft = AnyLegacyKey();
    }

    /// <summary>
    /// Whether keys stored before version 8 may be left. Checked when the connection opens and after each prune;
    /// once none is left it stays so, because nothing writes that table any more.
    /// </summary>
    public bool LegacyKeysLeft { get; private set; }

    public SqliteTransaction? Transaction
    {
        set
        {
            _read.Transaction = value;
            _delete.Transaction = value;
            _legacyRead.Transaction = value;
            _sweepRead.Transaction = value;
            _sweepDelete.Transaction = value;
        }
    }

    /// <summary>Stores the increment's key; false when it was stored before (hashed, or as text before version 8).</summary>
    public bool TryInsert(UsageIncrement increment)
    {
        if (LegacyKeysLeft && ReadLegacy(increment, out _))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[IdempotencyKeyHash.Size];
        IdempotencyKeyHash.Compute(increment.Account, increment.Meter, increment.IdempotencyKey!, hash);
        _insert.Bind(_insertHash, hash);
        _insert.Bind(_insertRecordedAt, IdempotencyKeyExpiry.RecordedSecond(increment.RecordedAt));
        if (increment.Fingerprint == IdempotencyFingerprint.None)
        {
            _insert.BindNull(_insertFingerprint);
        }
        else
        {
            _insert.Bind(_insertFingerprint, increment.Fingerprint);
        }

        return _insert.Execute() == 1;
    }

    /// <summary>The fingerprint stored with the increment's key; <see cref="IdempotencyFingerprint.None"/> for none.</summary>
    public long ReadFingerprint(UsageIncrement increment)
    {
        _read.Parameters[0].Value = IdempotencyKeyHash.Of(increment);
        if (_read.ExecuteScalar() is { } stored)
        {
            return stored is long fingerprint ? fingerprint : IdempotencyFingerprint.None;
        }

        return LegacyKeysLeft && ReadLegacy(increment, out var legacy) ? legacy : IdempotencyFingerprint.None;
    }

    /// <summary>Releases a key this transaction stored.</summary>
    public void Delete(UsageIncrement increment)
    {
        _delete.Parameters[0].Value = IdempotencyKeyHash.Of(increment);
        _delete.ExecuteNonQuery();
    }

    /// <summary>Checks again whether keys from before version 8 are left, after some were pruned.</summary>
    public void RecheckLegacyKeys(SqliteTransaction transaction)
    {
        if (LegacyKeysLeft)
        {
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = _sql.LegacyAny;
            LegacyKeysLeft = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
        }
    }

    /// <summary>
    /// One step of the sweep: reads up to <see cref="SweepWindow"/> keys after <paramref name="after"/> in hash order
    /// and deletes those stored before <paramref name="prunedBefore"/>, at most <paramref name="maxKeys"/>. Returns
    /// how many it deleted and where the next step starts; null when it read to the end of the table.
    /// </summary>
    public (int Deleted, byte[]? Next) SweepStep(byte[] after, long prunedBefore, int maxKeys)
    {
        _sweepRead.Parameters[0].Value = after;
        _sweepRead.Parameters[1].Value = SweepWindow;
        byte[]? through = null;
        var read = 0;
        var expired = 0;
        using (var reader = _sweepRead.ExecuteReader())
        {
            while (expired < maxKeys && reader.Read())
            {
                read++;
                through = (byte[])reader.GetValue(0);
                if (reader.GetInt64(1) < prunedBefore)
                {
                    expired++;
                }
            }
        }

        if (through is null)
        {
            return (0, null);
        }

        var deleted = 0;
        if (expired > 0)
        {
            _sweepDelete.Parameters[0].Value = after;
            _sweepDelete.Parameters[1].Value = through;
            _sweepDelete.Parameters[2].Value = prunedBefore;
            deleted = _sweepDelete.ExecuteNonQuery();
        }

        // Stopped early (maxKeys reached) or read a full window: keys may follow.
        return (deleted, expired >= maxKeys || read == SweepWindow ? through : null);
    }

    public void Dispose()
    {
        _insert.Dispose();
        _read.Dispose();
        _delete.Dispose();
        _legacyRead.Dispose();
        _sweepRead.Dispose();
        _sweepDelete.Dispose();
    }

    private bool ReadLegacy(UsageIncrement increment, out long fingerprint)
    {
        _legacyRead.Parameters[0].Value = increment.Account;
        _legacyRead.Parameters[1].Value = increment.Meter;
        _legacyRead.Parameters[2].Value = increment.IdempotencyKey!;
        using var reader = _legacyRead.ExecuteReader();
        if (!reader.Read())
        {
            fingerprint = IdempotencyFingerprint.None;
            return false;
        }

        fingerprint = reader.IsDBNull(0) ? IdempotencyFingerprint.None : reader.GetInt64(0);
        return true;
    }

    private bool AnyLegacyKey()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = _sql.LegacyAny;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    private SqliteCommand Prepare(string sql, params string[] parameterNames)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}
