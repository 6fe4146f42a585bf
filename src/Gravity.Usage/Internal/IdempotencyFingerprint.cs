using System.Runtime.InteropServices;

namespace Gravity.Usage;

/// <summary>
/// The 8-byte fingerprint stored with an idempotency key (<see cref="UsageIncrement.Fingerprint"/>), so that a retry
/// (the same call again) is told from another call that reuses the key. The meter computes it; a store keeps it with
/// the key and compares with <see cref="Matches"/>. It has three fields, so that a conflict can say what differs:
/// bits 63-49 the call's shape (kinds and meters of its parts, in meter order), bit 48 whether the caller gave a
/// timestamp, bits 47-16 its quantities (in the same order), bits 15-0 its bucket.
/// </summary>
/// <remarks>
/// <para>
/// The bucket is the bucket start in minutes modulo 2^16, so two buckets less than 45 days apart never look alike.
/// Buckets are compared only when both calls gave a timestamp: a call stamped "now" and retried after an hour boundary,
/// or retried with the instant of the first attempt, is still the same call, and its usage stays in the bucket where
/// it was first recorded.
/// </para>
/// <para>
/// The hash is FNV-1a (64 bit) with a final mix: stable across processes and versions (unlike
/// <see cref="HashCode"/>), with no allocation. A collision only makes a conflicting call look like a retry, as every
/// repeated key did before fingerprints existed.
/// </para>
/// </remarks>
public static class IdempotencyFingerprint
{
    /// <summary>No fingerprint: a key stored before fingerprints existed, or a caller that gave none. Matches anything.</summary>
    public const long None = 0;

    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;
    private const int ShapeShift = 49;
    private const int QuantityShift = 16;
    private const ulong BucketMask = 0xFFFF;
    private const ulong TimestampGiven = 1UL << 48;
    private const ulong QuantityMask = 0xFFFF_FFFFUL << QuantityShift;
    private const ulong ShapeMask = 0x7FFFUL << ShapeShift;

    /// <summary>The fingerprint of a call of one increment (see <see cref="UsageMeter.IncrementAsync"/>).</summary>
    /// <param name="meter">The meter.</param>
    /// <param name="quantity">The quantity.</param>
    /// <param name="bucketStart">The start of the bucket the usage is counted in.</param>
    /// <param name="timestampGiven">Whether the caller gave a timestamp (otherwise the bucket is not compared).</param>
    /// <returns>The fingerprint; never <see cref="None"/>.</returns>
    public static long Compute(string meter, long quantity, DateTimeOffset bucketStart, bool timestampGiven)
    {
        var shape = AddString(AddByte(FnvOffset, (byte)UsagePartKind.Increment), meter);
        var quantities = AddInt64(FnvOffset, quantity);
        return Combine(AddInt64(shape, 1), quantities, bucketStart, timestampGiven);
    }

    /// <summary>The fingerprint of a call of several parts (see <see cref="UsageMeter.RecordAsync"/>).</summary>
    /// <param name="partsInMeterOrder">The parts in meter order (ordinal), each meter once.</param>
    /// <param name="bucketStart">The start of the bucket the usage is counted in.</param>
    /// <param name="timestampGiven">Whether the caller gave a timestamp (otherwise the bucket is not compared).</param>
    /// <returns>The fingerprint; never <see cref="None"/>. A call of one part has the fingerprint of the same increment.</returns>
    public static long Compute(IReadOnlyList<UsagePart> partsInMeterOrder, DateTimeOffset bucketStart, bool timestampGiven)
    {
        if (partsInMeterOrder.Count == 1)
        {
            // One part is the same call as IncrementAsync: a retry may use either.
            return Compute(partsInMeterOrder[0].Meter, partsInMeterOrder[0].Quantity, bucketStart, timestampGiven);
        }

        var shape = FnvOffset;
        var quantities = FnvOffset;
        foreach (var part in partsInMeterOrder)
        {
            shape = AddString(AddByte(shape, (byte)part.Kind), part.Meter);
            quantities = AddInt64(quantities, part.Quantity);
        }

        return Combine(AddInt64(shape, partsInMeterOrder.Count), quantities, bucketStart, timestampGiven);
    }

    /// <summary>
    /// Whether a stored fingerprint allows the attempted call to be a retry: the same shape and quantities, and the
    /// same bucket when both calls gave a timestamp; or either one unknown.
    /// </summary>
    /// <param name="stored">The fingerprint stored with the key.</param>
    /// <param name="attempted">The fingerprint of the call that repeats the key.</param>
    /// <returns>
    /// <see langword="true"/> when the attempt is a retry (<see cref="UsageWriteStatus.Duplicate"/>);
    /// <see langword="false"/> when it is another call (<see cref="UsageWriteStatus.Conflict"/>).
    /// </returns>
    public static bool Matches(long stored, long attempted)
    {
        if (stored == None || attempted == None || stored == attempted)
        {
            return true;
        }

        var a = (ulong)stored;
        var b = (ulong)attempted;
        var contentMask = ShapeMask | QuantityMask | (BothGaveTimestamps(a, b) ? BucketMask : 0);
        return (a & contentMask) == (b & contentMask);
    }

    /// <summary>What differs between the call first recorded under a key and the attempted one, for an error message.</summary>
    internal static string DescribeDifference(long stored, long attempted)
    {
        var differences = new List<string>(3);
        var a = (ulong)stored;
        var b = (ulong)attempted;
        if ((a & ShapeMask) != (b & ShapeMask))
        {
            differences.Add("its meters (another meter or another number of parts)");
        }

        if ((a & QuantityMask) != (b & QuantityMask))
        {
            differences.Add("its quantities");
        }

        if (BothGaveTimestamps(a, b) && (a & BucketMask) != (b & BucketMask))
        {
            differences.Add("its time bucket");
        }

        return differences.Count == 0 ? "its content" : string.Join(" and ", differences);
    }

    private static long Combine(ulong shape, ulong quantities, DateTimeOffset bucketStart, bool timestampGiven)
    {
        // The shape field is never 0, so no fingerprint is ever None.
        var shapeField = (Fold16(Mix(shape)) & 0x7FFF) | 1UL;
        var quantityField = (Mix(quantities) >> 32) & 0xFFFF_FFFF;
        var bucketField = timestampGiven ? ((ulong)(bucketStart.ToUnixTimeSeconds() / 60) & BucketMask) | TimestampGiven : 0;
        return (long)((shapeField << ShapeShift) | (quantityField << QuantityShift) | bucketField);
    }

    private static bool BothGaveTimestamps(ulong a, ulong b) => (a & b & TimestampGiven) != 0;

    private static ulong Fold16(ulong value) => (value ^ (value >> 16) ^ (value >> 32) ^ (value >> 48)) & 0xFFFF;

    /// <summary>The splitmix64 finalizer: spreads every input bit over every output bit.</summary>
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }

    private static ulong AddByte(ulong hash, byte value) => (hash ^ value) * FnvPrime;

    private static ulong AddInt64(ulong hash, long value)
    {
        for (var i = 0; i < 8; i++)
        {
            hash = AddByte(hash, (byte)(value >> (8 * i)));
        }

        return hash;
    }

    private static ulong AddString(ulong hash, string value)
    {
        foreach (var b in MemoryMarshal.AsBytes(value.AsSpan()))
        {
            hash = AddByte(hash, b);
        }

        // The length ends the string, so that ("ab", "c") and ("a", "bc") differ.
        return AddInt64(hash, value.Length);
    }
}
