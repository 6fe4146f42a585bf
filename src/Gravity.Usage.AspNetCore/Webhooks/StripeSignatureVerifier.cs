using Microsoft.Extensions.Options;
using Stripe;

namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// Verifies a <c>Stripe-Signature</c> header with Stripe.net's <see cref="EventUtility.ValidateSignature(string, string, string, long, long)"/>:
/// HMAC-SHA256 of <c>{t}.{body}</c> with the endpoint secret, compared in constant time, and the timestamp no older than
/// the tolerance on the host's clock (<see cref="TimeProvider"/>).
/// </summary>
internal sealed class StripeSignatureVerifier(IOptions<StripeUsageWebhookOptions> options, TimeProvider timeProvider)
{
    /// <summary>Checks a request's signature.</summary>
    /// <param name="payload">The body exactly as received.</param>
    /// <param name="signatureHeader">The <c>Stripe-Signature</c> header, or <see langword="null"/> when missing.</param>
    /// <param name="problem">Why the signature was refused; never contains the secret.</param>
    /// <returns><see langword="true"/> when the signature is valid and recent.</returns>
    public bool IsValid(string payload, string? signatureHeader, out string? problem)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            problem = "The Stripe-Signature header is missing.";
            return false;
        }

        var settings = options.Value;
        try
        {
            EventUtility.ValidateSignature(
                payload,
                signatureHeader,
                settings.WebhookSecret!,
                (long)settings.SignatureTolerance.TotalSeconds,
                timeProvider.GetUtcNow().ToUnixTimeSeconds());
            problem = null;
            return true;
        }
        catch (StripeException)
        {
            // Stripe.net's message is not passed on: the answer only says that the signature did not hold.
            problem = "The Stripe-Signature header does not match the payload, or its timestamp is outside the tolerance.";
            return false;
        }
#pragma warning disable CA1031 // A malformed header (a timestamp that is not a number, say) is a refused signature too.
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
#pragma warning restore CA1031
        {
            problem = "The Stripe-Signature header is malformed.";
            return false;
        }
    }
}
