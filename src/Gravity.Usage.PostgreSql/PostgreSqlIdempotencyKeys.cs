using Gravity.Usage.Sql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// The SQL of the idempotency keys on PostgreSQL, and whether keys stored before schema version 8 are left. Keys are
/// stored as 16-byte hashes (<c>usage_idempotency_hash</c>, a uuid column); the text keys of
/// <c>usage_idempotency_key</c> are read (never written) beside them, and pruned, until none is left.
/// </summary>
internal sealed class PostgreSqlIdempotencyKeys
{
    private volatile bool _legacyKeysLeft = true;

    public PostgreSqlIdempotencyKeys(string schema)
    {
        var keys = schema + "." + HashTable;
        var legacy = schema + "." + CounterSql.IdempotencyKeyTable;

        // One statement for the whole batch's keys: the rows it returns are the keys that were new.
        Insert = $"""
            INSERT INTO {keys} (key_hash, fingerprint, recorded_at)
            SELECT * FROM unnest(@key_hashes::uuid[], @fingerprints::bigint[], @recorded_at::bigint[])
            ON CONFLICT (key_hash) DO NOTHING
            RETURNING key_hash
            """;

        // The same, where a key stored as text before version 8 also counts as stored.
        InsertBesideLegacy = $"""
            INSERT INTO {keys} (key_hash, fingerprint, recorded_at)
            SELECT w.key_hash, w.fingerprint, w.recorded_at
            FROM unnest(@key_hashes::uuid[], @fingerprints::bigint[], @recorded_at::bigint[], @accounts::text[], @meters::text[], @keys::text[])
                AS w(key_hash, fingerprint, recorded_at, account, meter, idempotency_key)
            WHERE NOT EXISTS (
                SELECT 1 FROM {legacy} l WHERE l.account = w.account AND l.meter = w.meter AND l.idempotency_key = w.idempotency_key)
            ON CONFLICT (key_hash) DO NOTHING
            RETURNING key_hash
            """;

        // The fingerprints stored with keys that were already there: a retry or a conflict. Read only when a batch has such keys.
        ReadFingerprints = $"""
            SELECT key_hash, fingerprint FROM {keys} WHERE key_hash = ANY(@key_hashes::uuid[])
            UNION ALL
            SELECT w.key_hash, l.fingerprint
            FROM {legacy} l JOIN unnest(@key_hashes::uuid[], @accounts::text[], @meters::text[], @keys::text[]) AS w(key_hash, account, meter, idempotency_key)
                ON l.account = w.account AND l.meter = w.meter AND l.idempotency_key = w.idempotency_key
            """;
        ReadFingerprint = $"""
            SELECT fingerprint FROM {keys} WHERE key_hash = @KeyHash
            UNION ALL
            SELECT fingerprint FROM {legacy} WHERE account = @Account AND meter = @Meter AND idempotency_key = @Key
            LIMIT 1
            """;
        Delete = $"DELETE FROM {keys} WHERE key_hash = ANY(@key_hashes::uuid[])";

        Prune = $"""
            DELETE FROM {keys} WHERE key_hash IN (
                SELECT key_hash FROM {keys} WHERE recorded_at < @PrunedBefore LIMIT @MaxKeys)
            """;
        LegacyAny = $"SELECT EXISTS (SELECT 1 FROM {legacy})";
    }

    /// <summary>The table of hashed keys (schema version 8 on).</summary>
    public const string HashTable = "usage_idempotency_hash";

    /// <summary>
    /// Gets whether keys stored before version 8 may be left: assumed until a prune finds the table empty; it then
    /// stays empty, because nothing writes it any more.
    /// </summary>
    public bool LegacyKeysLeft => _legacyKeysLeft;

    public string Insert { get; }

    public string InsertBesideLegacy { get; }

    public string ReadFingerprints { get; }

    public string ReadFingerprint { get; }

    public string Delete { get; }

    public string Prune { get; }

    public string LegacyAny { get; }

    /// <summary>Records that no key from before version 8 is left.</summary>
    public void NoLegacyKeysLeft() => _legacyKeysLeft = false;
}
