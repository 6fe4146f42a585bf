using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// The SQL of the idempotency keys on SQLite: the hashed keys of schema version 8 (<c>usage_idempotency_hash</c>) and
/// the text keys stored before it (<c>usage_idempotency_key</c>), which are read and pruned but never written.
/// </summary>
internal sealed class SqliteKeySql
{
    public SqliteKeySql(string prefix)
    {
        var keys = prefix + HashTable;
        var legacy = prefix + CounterSql.IdempotencyKeyTable;
        Insert = $"""
            INSERT INTO {keys} (key_hash, recorded_at, fingerprint) VALUES ($key_hash, $recorded_at, $fingerprint)
            ON CONFLICT (key_hash) DO NOTHING
            """;
        ReadFingerprint = $"SELECT fingerprint FROM {keys} WHERE key_hash = $key_hash";
        Delete = $"DELETE FROM {keys} WHERE key_hash = $key_hash";

        // One step of the sweep reads the next keys in hash order and deletes the expired ones among those it read.
        SweepRead = $"SELECT key_hash, recorded_at FROM {keys} WHERE key_hash > $after ORDER BY key_hash LIMIT $window";
        SweepDelete = $"DELETE FROM {keys} WHERE key_hash > $after AND key_hash <= $through AND recorded_at < $pruned_before";

        LegacyAny = $"SELECT EXISTS (SELECT 1 FROM {legacy})";
        LegacyRead = $"SELECT fingerprint FROM {legacy} WHERE account = $account AND meter = $meter AND idempotency_key = $key";
        ReadFingerprintByText = $"""
            SELECT fingerprint FROM {keys} WHERE key_hash = @KeyHash
            UNION ALL
            SELECT fingerprint FROM {legacy} WHERE account = @Account AND meter = @Meter AND idempotency_key = @Key
            LIMIT 1
            """;
    }

    /// <summary>The table of hashed keys (schema version 8 on).</summary>
    public const string HashTable = "usage_idempotency_hash";

    public string Insert { get; }

    public string ReadFingerprint { get; }

    public string Delete { get; }

    public string SweepRead { get; }

    public string SweepDelete { get; }

    /// <summary>Whether any key stored before version 8 is left.</summary>
    public string LegacyAny { get; }

    public string LegacyRead { get; }

    /// <summary>The fingerprint of a key, hashed or from before version 8, for the message of a conflict.</summary>
    public string ReadFingerprintByText { get; }
}
