using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gravity.Usage;

/// <summary>
/// Derives a report's identifier from what it reports, so the same usage always gets the same identifier. The
/// identifier is the idempotency key of the report's delivery (Stripe's meter event <c>identifier</c>): every store
/// must derive it with these functions, inside the transaction that creates the report, and keep it unique.
/// </summary>
/// <remarks>
/// Every identifier is "gu_" and 40 lowercase hex digits (43 characters). Which function a store uses: a close of a
/// counter, <see cref="Create"/>; a close of a gauge's billing period, <see cref="CreateForGauge"/>; what is left of a
/// report after a correction took part of it back (or after the back end cancelled it), <see cref="Revise"/>; a
/// <see cref="UsageReportStatus.Cancelling"/> report, <see cref="ForCorrection"/>. <see cref="Resend"/> is derived by
/// the reconciler and handed to <see cref="IUsageReconciliationStore.ResendUnknownAsync"/>.
/// </remarks>
public static class ReportIdentifier
{
    /// <summary>
    /// "gu_" and 40 hex digits (160 bits) of SHA-256 over the ledger's random id, the account, meter, bucket, the
    /// quantity reported before and the report's own quantity: within Stripe's 100 characters whatever the account's
    /// length. The same close in the same ledger always gives the same identifier (retries, crashes, several
    /// reporters); another ledger never does, so Stripe cannot drop its usage as a duplicate. Fields are
    /// length-prefixed so that no two different inputs can run together into the same text.
    /// </summary>
    /// <param name="ledgerId">The ledger's random id.</param>
    /// <param name="account">The account.</param>
    /// <param name="meter">The meter.</param>
    /// <param name="bucketStartSeconds">The bucket start in Unix seconds.</param>
    /// <param name="reportedBefore">The counter's reported quantity before this report.</param>
    /// <param name="quantity">The report's quantity.</param>
    /// <param name="corrections">
    /// How many corrections the counter has had. A correction can lower the reported quantity, after which a close
    /// could meet a (reported before, quantity) pair again; counting corrections in keeps every close's identifier new.
    /// 0 (no correction) leaves the text, and so every identifier made before corrections existed, unchanged.
    /// </param>
    /// <returns>The identifier.</returns>
    public static string Create(string ledgerId, string account, string meter, long bucketStartSeconds, long reportedBefore, long quantity, long corrections = 0)
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"{ledgerId.Length}:{ledgerId}|{account.Length}:{account}|{meter.Length}:{meter}|{bucketStartSeconds}|{reportedBefore}|{quantity}");
        if (corrections > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"|c{corrections}");
        }

        return Hash(text);
    }

    /// <summary>
    /// The identifier of what is left of a report after a correction took part of it back: derived from the report's
    /// own identifier (which already names the ledger, account, meter and bucket). A report is taken back at most once,
    /// so its remainder's identifier is made once; it can never equal the report's own (Stripe would drop the
    /// remainder as a duplicate of the cancelled event) nor any <see cref="Create"/> identifier, whose text starts
    /// with a length rather than "revision".
    /// </summary>
    /// <param name="identifier">The identifier of the report taken back.</param>
    /// <returns>The remainder's identifier.</returns>
    public static string Revise(string identifier) => Hash($"revision|{identifier}");

    /// <summary>
    /// The identifier under which reconciliation sends again an unknown report Stripe provably lacks: derived from the
    /// old identifier alone, so two reconcilers deciding at once derive the same one and the ledger's unique identifier
    /// stops the second replacement. Never equal to the old identifier (Stripe could drop the resend as a duplicate of
    /// an event it forgot) nor to any other kind's, whose text starts otherwise.
    /// </summary>
    /// <param name="identifier">The identifier of the unknown report.</param>
    /// <returns>The replacement's identifier.</returns>
    public static string Resend(string identifier) => Hash($"resend|{identifier}");

    /// <summary>
    /// The identifier of a <see cref="UsageReportStatus.Cancelling"/> report: never sent, but unique like every report's.
    /// </summary>
    /// <param name="correctionId">The correction.</param>
    /// <param name="target">The identifier of the report it takes from.</param>
    /// <returns>The identifier.</returns>
    public static string ForCorrection(long correctionId, string target) =>
        Hash(string.Create(CultureInfo.InvariantCulture, $"correction|{correctionId}|{target}"));

    private static string Hash(string text)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return "gu_" + Convert.ToHexStringLower(hash[..20]);
    }

    /// <summary>
    /// The identifier of a gauge report: the same hash over the ledger, account, meter, the event's timestamp, how many
    /// reports the billing period had before it, and the value, marked as a gauge's so that it never meets a sum's. Each
    /// distinct value or timestamp sent gets its own identifier; the same close always gets the same one.
    /// </summary>
    /// <param name="ledgerId">The ledger's random id.</param>
    /// <param name="account">The account.</param>
    /// <param name="meter">The meter.</param>
    /// <param name="timestampSeconds">The event's timestamp in Unix seconds (the report's bucket start).</param>
    /// <param name="reportsBefore">How many reports the gauge's billing period had before this one.</param>
    /// <param name="value">The value reported.</param>
    /// <returns>The identifier.</returns>
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
