namespace Gravity.Usage;

/// <summary>
/// Optional capability of an <see cref="IUsageStore"/>: reads back the fingerprint stored with an idempotency key
/// (<see cref="UsageIncrement.Fingerprint"/>), so that <see cref="UsageIdempotencyConflictException"/> can say what
/// differs between the call first recorded under the key and the one refused. Read only after a
/// <see cref="UsageWriteStatus.Conflict"/>, never on the write path.
/// </summary>
/// <remarks>
/// Without it, the conflict is still reported; its message only cannot say whether the meters, the quantities or the
/// time bucket differ.
/// </remarks>
public interface IIdempotencyFingerprintReader
{
    /// <summary>Reads the fingerprint stored with a key.</summary>
    /// <param name="account">The account the key belongs to.</param>
    /// <param name="meter">The meter the key was recorded on.</param>
    /// <param name="idempotencyKey">The key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored fingerprint; 0 (no fingerprint) when the key is not stored or was stored without one.</returns>
    Task<long> ReadFingerprintAsync(string account, string meter, string idempotencyKey, CancellationToken cancellationToken = default);
}
