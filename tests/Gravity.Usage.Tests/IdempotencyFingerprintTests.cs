using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests;

/// <summary>The fingerprint stored with a key: stable, independent of part order, and telling what differs.</summary>
public sealed class IdempotencyFingerprintTests
{
    private static readonly DateTimeOffset Bucket = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public void Compute_SameCall_IsStableAcrossVersions()
    {
        // Stored fingerprints outlive the process: changing the function would turn every retry in flight into a conflict.
        Assert.That(IdempotencyFingerprint.Compute("tokens", 812, Bucket, timestampGiven: true), Is.EqualTo(StableValue));
    }

    [Test]
    public void Compute_OnePartCall_EqualsTheSingleIncrement_AndPartOrderDoesNotMatter()
    {
        var single = IdempotencyFingerprint.Compute("tokens", 812, Bucket, true);
        var onePart = IdempotencyFingerprint.Compute([UsagePart.Increment("tokens", 812)], Bucket, true);
        var ordered = IdempotencyFingerprint.Compute([UsagePart.Increment("api_calls", 1), UsagePart.Increment("tokens", 812)], Bucket, true);
        var again = IdempotencyFingerprint.Compute([UsagePart.Increment("api_calls", 1), UsagePart.Increment("tokens", 812)], Bucket, true);

        Assert.Multiple(() =>
        {
            Assert.That(onePart, Is.EqualTo(single));
            Assert.That(again, Is.EqualTo(ordered));
            Assert.That(ordered, Is.Not.EqualTo(single));
        });
    }

    [Test]
    public void DescribeDifference_TwoFingerprints_NamesQuantitiesMetersOrBucket()
    {
        var original = IdempotencyFingerprint.Compute([UsagePart.Increment("api_calls", 1), UsagePart.Increment("tokens", 812)], Bucket, true);
        var otherQuantity = IdempotencyFingerprint.Compute([UsagePart.Increment("api_calls", 1), UsagePart.Increment("tokens", 813)], Bucket, true);
        var otherMeter = IdempotencyFingerprint.Compute([UsagePart.Increment("api_calls", 1), UsagePart.Increment("usage", 812)], Bucket, true);
        var otherBucket = IdempotencyFingerprint.Compute([UsagePart.Increment("api_calls", 1), UsagePart.Increment("tokens", 812)], Bucket.AddHours(1), true);

        Assert.Multiple(() =>
        {
            Assert.That(IdempotencyFingerprint.DescribeDifference(original, otherQuantity), Is.EqualTo("its quantities"));
            Assert.That(IdempotencyFingerprint.DescribeDifference(original, otherMeter), Does.StartWith("its meters"));
            Assert.That(IdempotencyFingerprint.DescribeDifference(original, otherBucket), Is.EqualTo("its time bucket"));
        });
    }

    [Test]
    public void Matches_TimestampOnOneCallOnly_IgnoresTheBucket()
    {
        var now = IdempotencyFingerprint.Compute("tokens", 812, Bucket, timestampGiven: false);
        var nowAnHourLater = IdempotencyFingerprint.Compute("tokens", 812, Bucket.AddHours(1), timestampGiven: false);
        var stamped = IdempotencyFingerprint.Compute("tokens", 812, Bucket, timestampGiven: true);
        var stampedAnHourLater = IdempotencyFingerprint.Compute("tokens", 812, Bucket.AddHours(1), timestampGiven: true);
        var otherQuantityStamped = IdempotencyFingerprint.Compute("tokens", 813, Bucket, timestampGiven: true);

        Assert.Multiple(() =>
        {
            Assert.That(nowAnHourLater, Is.EqualTo(now), "a retry stamped now after an hour boundary");
            Assert.That(IdempotencyFingerprint.Matches(now, stampedAnHourLater), Is.True, "a retry that repeats the first attempt's instant");
            Assert.That(IdempotencyFingerprint.Matches(stampedAnHourLater, now), Is.True);
            Assert.That(IdempotencyFingerprint.Matches(stamped, stampedAnHourLater), Is.False, "two explicit timestamps in different buckets");
            Assert.That(IdempotencyFingerprint.Matches(now, otherQuantityStamped), Is.False, "the quantity still counts");
        });
    }

    [Test]
    public void Matches_UnknownOnEitherSide_Matches_OtherwiseOnlyEqual()
    {
        Assert.Multiple(() =>
        {
            Assert.That(IdempotencyFingerprint.Matches(IdempotencyFingerprint.None, 42), Is.True, "a key stored before fingerprints");
            Assert.That(IdempotencyFingerprint.Matches(42, IdempotencyFingerprint.None), Is.True);
            Assert.That(IdempotencyFingerprint.Matches(Five, Five), Is.True);
            Assert.That(IdempotencyFingerprint.Matches(Five, Six), Is.False);
            Assert.That(UsageIncrement.FingerprintsMatch(Five, Six), Is.False, "the public rule for custom stores is the same");
            Assert.That(UsageIncrement.FingerprintsMatch(IdempotencyFingerprint.None, Six), Is.True);
        });
    }

    private static readonly long Five = IdempotencyFingerprint.Compute("tokens", 5, Bucket, true);

    private static readonly long Six = IdempotencyFingerprint.Compute("tokens", 6, Bucket, true);

    private const long StableValue = 4587899010930960760;
}
