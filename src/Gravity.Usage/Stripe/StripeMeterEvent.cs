using System.Globalization;

namespace Gravity.Usage.Stripe;

/// <summary>What a report must be to become a Stripe meter event (v1 or the v2 stream), checked before anything is sent.</summary>
internal static class StripeMeterEvent
{
    /// <summary>Meter event identifiers are at most 100 characters.</summary>
    public const int MaxIdentifierLength = 100;

    /// <summary>Stripe refuses meter event values of more than 15 significant digits (since 2026-04-22.dahlia).</summary>
    public const long MaxValue = 999_999_999_999_999;

    /// <summary>Why the delivery cannot be a meter event, or <see langword="null"/> when it can.</summary>
    public static string? Problem(UsageDelivery delivery)
    {
        var report = delivery.Report;
        if (string.IsNullOrWhiteSpace(delivery.BillingAccount.StripeCustomerId))
        {
            return $"Account '{report.Account}' has no Stripe customer id; map it with IUsageAccountStore.SaveAccountAsync or the account resolver.";
        }

        if (string.IsNullOrWhiteSpace(delivery.EventName))
        {
            return $"Meter '{report.Meter}' has no Stripe event name.";
        }

        if (!IsVisibleAscii(report.Identifier, MaxIdentifierLength))
        {
            return "The report identifier must be 1 to 100 visible ASCII characters to be a Stripe meter event identifier.";
        }

        if (report.Quantity < 0)
        {
            return "A meter event value cannot be negative; corrections are meter event adjustments.";
        }

        return report.Quantity > MaxValue
            ? string.Create(CultureInfo.InvariantCulture, $"A meter event value has at most 15 significant digits (at most {MaxValue:N0}); this report holds {report.Quantity:N0}.")
            : null;
    }

    /// <summary>The event's payload: the customer and the value as an integer string.</summary>
    public static Dictionary<string, string> Payload(UsageDelivery delivery) => new(StringComparer.Ordinal)
    {
        ["stripe_customer_id"] = delivery.BillingAccount.StripeCustomerId!,
        ["value"] = delivery.Report.Quantity.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Stripe keeps idempotency keys of at most 255 characters.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>Why the report's idempotency key cannot be sent as Stripe's <c>Idempotency-Key</c>, or <see langword="null"/> when it can.</summary>
    public static string? IdempotencyKeyProblem(UsageReport report) =>
        IsVisibleAscii(report.IdempotencyKey, MaxIdempotencyKeyLength)
            ? null
            : "The report's idempotency key must be 1 to 255 visible ASCII characters.";

    /// <summary>Whether a string can be sent as an identifier or idempotency key: visible ASCII, 1 to <paramref name="maxLength"/> characters.</summary>
    public static bool IsVisibleAscii(string? text, int maxLength)
    {
        if (string.IsNullOrEmpty(text) || text.Length > maxLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
