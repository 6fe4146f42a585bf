namespace Gravity.Usage.Internal;

/// <summary>
/// Implemented by stores that can read back the fingerprint stored with an idempotency key, so that a conflict can say
/// what differs. Read only after a conflict, never on the write path.
/// </summary>
internal interface IIdempotencyFingerprintReader
{
    /// <summary>The fingerprint stored with the key; <see cref="IdempotencyFingerprint.None"/> when there is none or no such key.</summary>
    Task<long> ReadFingerprintAsync(string account, string meter, string idempotencyKey, CancellationToken cancellationToken);
}
