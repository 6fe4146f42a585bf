using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gravity.Usage;

/// <summary>Derives a report's identifier from what it reports, so the same usage always gets the same identifier.</summary>
internal static class ReportIdentifier
{
    /// <summary>
    /// "gu_" and 40 hex digits (160 bits) of SHA-256 over the ledger's random id, the account, meter, bucket, the
    /// quantity reported before and the report's own quantity: within Stripe's 100 characters whatever the account's
    /// length. The same close in the same ledger always gives the same identifier (retries, crashes, several
    /// reporters); another ledger never does, so Stripe cannot drop its usage as a duplicate. Fields are
    /// length-prefixed so that no two different inputs can run together into the same text.
    /// </summary>
    public static string Create(string ledgerId, string account, string meter, long bucketStartSeconds, long reportedBefore, long quantity)
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"{ledgerId.Length}:{ledgerId}|{account.Length}:{account}|{meter.Length}:{meter}|{bucketStartSeconds}|{reportedBefore}|{quantity}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return "gu_" + Convert.ToHexStringLower(hash[..20]);
    }

    /// <summary>
    /// The identifier of a gauge report: the same hash over the ledger, account, meter, the event's timestamp, how many
    /// reports the billing period had before it, and the value, marked as a gauge's so that it never meets a sum's. Each
    /// distinct value or timestamp sent gets its own identifier; the same close always gets the same one.
    /// </summary>
    public static string CreateForGauge(string ledgerId, string account, string meter, long timestampSeconds, long reportsBefore, long value)
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"gauge|{ledgerId.Length}:{ledgerId}|{account.Length}:{account}|{meter.Length}:{meter}|{timestampSeconds}|{reportsBefore}|{value}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return "gu_" + Convert.ToHexStringLower(hash[..20]);
    }
}
