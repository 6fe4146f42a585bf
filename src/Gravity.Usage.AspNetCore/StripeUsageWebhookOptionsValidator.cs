using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore;

/// <summary>Checks <see cref="StripeUsageWebhookOptions"/> at start and lists every failure; never quotes the secret.</summary>
internal sealed class StripeUsageWebhookOptionsValidator : IValidateOptions<StripeUsageWebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, StripeUsageWebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var secret = options.WebhookSecret;
        if (string.IsNullOrWhiteSpace(secret))
        {
            failures.Add("WebhookSecret is required: the endpoint's signing secret (whsec_...) from Stripe.");
        }
        else if (!secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            // An API key (sk_..., rk_...) put here by mistake is the common case; the value itself is never repeated.
            failures.Add("WebhookSecret must be a webhook signing secret starting with 'whsec_' (not an API key).");
        }
        else if (secret.Any(char.IsWhiteSpace))
        {
            failures.Add("WebhookSecret contains white space.");
        }

        if (options.SignatureTolerance < TimeSpan.FromSeconds(1) || options.SignatureTolerance > TimeSpan.FromHours(1))
        {
            failures.Add($"SignatureTolerance must be between 1 second and 1 hour (was {options.SignatureTolerance}).");
        }

        if (options.QueueCapacity is < 1 or > 100_000)
        {
            failures.Add($"QueueCapacity must be between 1 and 100,000 (was {options.QueueCapacity}).");
        }

        if (options.ProcessedEventRetention < TimeSpan.FromMinutes(1) || options.ProcessedEventRetention > TimeSpan.FromDays(30))
        {
            failures.Add($"ProcessedEventRetention must be between 1 minute and 30 days (was {options.ProcessedEventRetention}).");
        }

        if (options.ProcessedEventCapacity is < 1 or > 10_000_000)
        {
            failures.Add($"ProcessedEventCapacity must be between 1 and 10,000,000 (was {options.ProcessedEventCapacity}).");
        }

        if (options.MaxPayloadBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add($"MaxPayloadBytes must be between 1 KiB and 16 MiB (was {options.MaxPayloadBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
