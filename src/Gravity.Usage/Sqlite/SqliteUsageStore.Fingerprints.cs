using Gravity.Usage.Internal;
using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>Reading back the fingerprint stored with an idempotency key, so that a conflict can say what differs.</summary>
public sealed partial class SqliteUsageStore : IIdempotencyFingerprintReader
{
    /// <inheritdoc />
    async Task<long> IIdempotencyFingerprintReader.ReadFingerprintAsync(string account, string meter, string idempotencyKey, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<long?>(
            $"SELECT fingerprint FROM {_prefix}{CounterSql.IdempotencyKeyTable} WHERE account = @Account AND meter = @Meter AND idempotency_key = @Key",
            new { Account = account, Meter = meter, Key = idempotencyKey },
            cancellationToken).ConfigureAwait(false);
        return rows.Count == 1 && rows[0] is { } fingerprint ? fingerprint : IdempotencyFingerprint.None;
    }
}
