namespace Gravity.Usage;

/// <summary>One validated increment, or gauge reading, on its way to an <see cref="IUsageStore"/>.</summary>
/// <param name="Account">The host application's customer id.</param>
/// <param name="Meter">The declared meter that is counted.</param>
/// <param name="BucketStart">The start of the time bucket the increment falls in (UTC, aligned to the bucket size).</param>
/// <param name="Quantity">
/// How much is added (at least 1); for a gauge reading (<see cref="Kind"/> other than <see cref="MeterKind.Sum"/>),
/// the value read (0 or more).
/// </param>
/// <param name="IdempotencyKey">
/// An optional key that makes the increment count once per (account, meter) however often it is repeated.
/// </param>
/// <param name="RecordedAt">When the increment was accepted; idempotency keys expire relative to it.</param>
/// <remarks>
/// <para>
/// <b>Calls of several parts.</b> A multi-meter call (<see cref="UsageMeter.RecordAsync"/>) reaches the store as
/// <see cref="PartCount"/> consecutive increments of one batch, numbered by <see cref="PartIndex"/> from 0, for one
/// account, bucket and idempotency key, each on a different meter. A store applies them all or none: if one part would
/// overflow, every part gets <see cref="UsageWriteStatus.WouldOverflow"/>; if the key was already recorded, every part
/// gets <see cref="UsageWriteStatus.Duplicate"/> (or <see cref="UsageWriteStatus.Conflict"/>). A store keeps one key row
/// per part, each with the fingerprint of the whole call.
/// </para>
/// <para>
/// <b>Fingerprints.</b> <see cref="Fingerprint"/> summarises the call that carries the key, so that a store tells a
/// retry (a matching fingerprint: <see cref="UsageWriteStatus.Duplicate"/>) from another call reusing the key (one that
/// does not match: <see cref="UsageWriteStatus.Conflict"/>). Stores compare with <see cref="FingerprintsMatch"/>. 0 means
/// unknown, and matches any stored key, as does a key stored without a fingerprint.
/// </para>
/// </remarks>
public readonly record struct UsageIncrement(
    string Account,
    string Meter,
    DateTimeOffset BucketStart,
    long Quantity,
    string? IdempotencyKey,
    DateTimeOffset RecordedAt)
{
    /// <summary>
    /// Gets <see cref="MeterKind.Sum"/> for an increment; for a gauge reading, the meter's kind, which decides what its
    /// bucket keeps: the latest reading (<see cref="MeterKind.Last"/>, <see cref="MeterKind.LastEver"/>) or the highest
    /// (<see cref="MeterKind.Max"/>).
    /// </summary>
    /// <remarks>Members a reading adds are init properties, so that a new one never changes the constructor providers see.</remarks>
    public MeterKind Kind { get; init; }

    /// <summary>Gets, for a gauge reading, when the value was read (UTC): the latest reading of a bucket is the one read last.</summary>
    public DateTimeOffset ObservedAt { get; init; }

    /// <summary>Gets a value indicating whether this is a gauge reading rather than an increment.</summary>
    public bool IsReading => Kind != MeterKind.Sum;

    /// <summary>Gets the fingerprint of the call this increment belongs to, stored with its idempotency key; 0 when unknown.</summary>
    public long Fingerprint { get; init; }

    /// <summary>Gets the position of this increment among the parts of its call, from 0; 0 for a call of one part.</summary>
    public int PartIndex { get; init; }

    /// <summary>Gets how many parts the call has; 0 or 1 for an increment on its own.</summary>
    public int PartCount { get; init; }

    /// <summary>
    /// Tells whether a call with the fingerprint <paramref name="attempted"/> is a retry of the call stored with
    /// <paramref name="stored"/>: the same meters and quantities, and the same bucket when both calls gave a timestamp.
    /// </summary>
    /// <param name="stored">The fingerprint stored with the key; 0 for a key stored without one.</param>
    /// <param name="attempted">The fingerprint of the call now carrying the key; 0 when unknown.</param>
    /// <returns><see langword="true"/> for a retry (or when either is unknown); <see langword="false"/> for a conflict.</returns>
    public static bool FingerprintsMatch(long stored, long attempted) => IdempotencyFingerprint.Matches(stored, attempted);
}
