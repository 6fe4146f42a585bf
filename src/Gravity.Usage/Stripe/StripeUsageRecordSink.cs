using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Delivers usage reports to Stripe as legacy usage records
/// (<c>POST /v1/subscription_items/{item}/usage_records</c>, <c>action=increment</c>), for subscriptions still on
/// legacy metered prices, with <c>Stripe-Version</c> pinned to <see cref="StripeOptions.LegacyApiVersion"/>.
/// </summary>
/// <remarks>
/// <para>
/// The subscription item is the account's <see cref="UsageAccount.SubscriptionItems"/> entry for the report's meter;
/// the timestamp is the bucket start, which Stripe requires to lie in the subscription's current billing period.
/// Usage records have no identifier: a repeated delivery is de-duplicated only by the <c>Idempotency-Key</c> (the
/// report identifier), which Stripe remembers for about 24 hours.
/// </para>
/// <para>
/// Answers map as for <see cref="StripeMeterEventSink"/>: 2xx is delivered; connection errors, timeouts, 409, 429, 5xx
/// and <c>Stripe-Should-Retry: true</c> are retried, then transient; other 4xx are permanent.
/// </para>
/// </remarks>
public sealed class StripeUsageRecordSink : IUsageSink, IDisposable
{
    private readonly StripeClient _client;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="StripeUsageRecordSink"/> class.</summary>
    /// <param name="options">The Stripe options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock for timeouts, back-off and pacing; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where failed attempts and refusals are logged (never the key); nothing is logged when <see langword="null"/>.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeUsageRecordSink(StripeOptions options, TimeProvider? timeProvider = null, ILogger<StripeUsageRecordSink>? logger = null)
        : this(new StripeClient(options, timeProvider ?? TimeProvider.System, (ILogger?)logger ?? NullLogger.Instance), (ILogger?)logger ?? NullLogger.Instance)
    {
    }

    internal StripeUsageRecordSink(StripeClient client, ILogger logger)
    {
        _client = client;
        _logger = logger;
    }

    /// <inheritdoc/>
    public Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var report = delivery.Report;
        if (!delivery.BillingAccount.SubscriptionItems.TryGetValue(report.Meter, out var item) || string.IsNullOrWhiteSpace(item))
        {
            return Task.FromResult(StripeDelivery.Unsendable(
                _logger,
                report,
                $"Account '{report.Account}' has no legacy Stripe subscription item for meter '{report.Meter}'; add it to the account's SubscriptionItems with IUsageAccountStore.SaveAccountAsync or the account resolver."));
        }

        if (!StripeClient.IsValidKey(report.IdempotencyKey, StripeClient.MaxIdempotencyKeyLength))
        {
            return Task.FromResult(StripeDelivery.Unsendable(_logger, report, "The report identifier must be 1 to 255 visible ASCII characters to be a Stripe idempotency key."));
        }

        if (report.Quantity < 0)
        {
            return Task.FromResult(StripeDelivery.Unsendable(_logger, report, "A usage record quantity cannot be negative."));
        }

        KeyValuePair<string, string>[] form =
        [
            new("quantity", report.Quantity.ToString(CultureInfo.InvariantCulture)),
            new("timestamp", report.BucketStart.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            new("action", "increment"),
        ];
        return StripeDelivery.PostAsync(_client, _logger, report, PathFor(item), form, _client.LegacyApiVersion, identifierDeduplicated: false, cancellationToken);
    }

    /// <summary>Releases the HTTP client the sink created, if it created one.</summary>
    public void Dispose() => _client.Dispose();

    internal static string PathFor(string subscriptionItem) => "/v1/subscription_items/" + Uri.EscapeDataString(subscriptionItem) + "/usage_records";
}
