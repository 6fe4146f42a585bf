using Gravity.Usage.Internal;

namespace Gravity.Usage.Sqlite;

/// <summary>Reading back the fingerprint stored with an idempotency key, so that a conflict can say what differs.</summary>
public sealed partial class SqliteUsageStore : IIdempotencyFingerprintReader
{
    /// <inheritdoc />
    async Task<long> IIdempotencyFingerprintReader.ReadFingerprintAsync(string account, string meter, string idempotencyKey, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<long?>(
            _queries.Keys.ReadFingerprintByText,
            new { KeyHash = IdempotencyKeyHash.Compute(account, meter, idempotencyKey), Account = account, Meter = meter, Key = idempotencyKey },
            cancellationToken).ConfigureAwait(false);
        return rows.Count == 1 && rows[0] is { } fingerprint ? fingerprint : IdempotencyFingerprint.None;
    }
}
