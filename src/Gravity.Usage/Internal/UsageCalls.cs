using System.Globalization;

namespace Gravity.Usage.Internal;

/// <summary>
/// Where the calls of a batch begin and end: an increment on its own is a call of one, and the parts of a multi-meter
/// call are consecutive (<see cref="UsageIncrement.PartIndex"/>, <see cref="UsageIncrement.PartCount"/>).
/// </summary>
internal static class UsageCalls
{
    /// <summary>How many increments the call starting at <paramref name="start"/> has (checked by <see cref="DescribeInvalidCall"/>).</summary>
    public static int SizeAt(IReadOnlyList<UsageIncrement> increments, int start) => Math.Max(1, increments[start].PartCount);

    /// <summary>Describes why the call starting at <paramref name="start"/> is not well formed, or returns <see langword="null"/>.</summary>
    public static string? DescribeInvalidCall(IReadOnlyList<UsageIncrement> increments, int start)
    {
        var first = increments[start];
        if (first.PartCount <= 1)
        {
            return first.PartIndex == 0 ? null : "a part of a multi-meter call must follow the earlier parts of its call.";
        }

        if (first.PartIndex != 0 || start + first.PartCount > increments.Count)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the {first.PartCount} parts of a multi-meter call must be consecutive, numbered from 0, all in one batch.");
        }

        var meters = new HashSet<string>(first.PartCount, StringComparer.Ordinal);
        for (var k = 0; k < first.PartCount; k++)
        {
            var part = increments[start + k];
            if (part.PartIndex != k || part.PartCount != first.PartCount
                || !string.Equals(part.Account, first.Account, StringComparison.Ordinal)
                || !string.Equals(part.IdempotencyKey, first.IdempotencyKey, StringComparison.Ordinal)
                || part.BucketStart != first.BucketStart
                || part.Fingerprint != first.Fingerprint)
            {
                return "the parts of a multi-meter call must be consecutive, numbered from 0, with one account, bucket, idempotency key and fingerprint.";
            }

            if (!meters.Add(part.Meter))
            {
                return string.Create(CultureInfo.InvariantCulture, $"a multi-meter call may name each meter once; part {k} repeats meter '{part.Meter}'.");
            }
        }

        return null;
    }

    /// <summary>Gives every part of the call at <paramref name="start"/> the same status.</summary>
    public static void SetAll(UsageWriteStatus[] statuses, int start, int size, UsageWriteStatus status) =>
        statuses.AsSpan(start, size).Fill(status);
}
