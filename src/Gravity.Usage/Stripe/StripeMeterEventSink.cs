using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Delivers usage reports to Stripe as billing meter events (<c>POST /v1/billing/meter_events</c>), one event per
/// report, with the report identifier as both the event's <c>identifier</c> and the request's <c>Idempotency-Key</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each event carries <c>event_name</c> (<see cref="UsageDelivery.EventName"/>), <c>payload[stripe_customer_id]</c>,
/// <c>payload[value]</c> (the quantity as an integer) and <c>timestamp</c> (the bucket start, in Unix seconds). Stripe
/// de-duplicates identifiers for at least 24 hours; its answer that the identifier already exists counts as delivered.
/// </para>
/// <para>
/// Answers: 2xx is <see cref="DeliveryOutcome.Delivered"/>; connection errors, timeouts, 409, 429, 5xx and
/// <c>Stripe-Should-Retry: true</c> are retried within the call and then <see cref="DeliveryOutcome.Transient"/>;
/// other 4xx and <c>Stripe-Should-Retry: false</c> are <see cref="DeliveryOutcome.Permanent"/>, with Stripe's message
/// and request id. Dispose the sink to release the HTTP client it created (none when
/// <see cref="StripeOptions.HttpClient"/> is set).
/// </para>
/// </remarks>
public sealed class StripeMeterEventSink : IUsageSink, IDisposable
{
    internal const string Path = "/v1/billing/meter_events";

    private readonly StripeClient _client;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="StripeMeterEventSink"/> class.</summary>
    /// <param name="options">The Stripe options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock for timeouts, back-off and pacing; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where failed attempts and refusals are logged (never the key); nothing is logged when <see langword="null"/>.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeMeterEventSink(StripeOptions options, TimeProvider? timeProvider = null, ILogger<StripeMeterEventSink>? logger = null)
        : this(new StripeClient(options, timeProvider ?? TimeProvider.System, (ILogger?)logger ?? NullLogger.Instance), (ILogger?)logger ?? NullLogger.Instance)
    {
    }

    internal StripeMeterEventSink(StripeClient client, ILogger logger)
    {
        _client = client;
        _logger = logger;
    }

    /// <inheritdoc/>
    public Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var report = delivery.Report;
        var customer = delivery.BillingAccount.StripeCustomerId;
        if (string.IsNullOrWhiteSpace(customer))
        {
            return Task.FromResult(StripeDelivery.Unsendable(
                _logger,
                report,
                $"Account '{report.Account}' has no Stripe customer id; map it with IUsageAccountStore.SaveAccountAsync or the account resolver."));
        }

        if (string.IsNullOrWhiteSpace(delivery.EventName))
        {
            return Task.FromResult(StripeDelivery.Unsendable(_logger, report, $"Meter '{report.Meter}' has no Stripe event name."));
        }

        if (!StripeClient.IsValidKey(report.Identifier, StripeDelivery.MaxIdentifierLength))
        {
            return Task.FromResult(StripeDelivery.Unsendable(_logger, report, "The report identifier must be 1 to 100 visible ASCII characters to be a Stripe meter event identifier."));
        }

        if (report.Quantity < 0)
        {
            return Task.FromResult(StripeDelivery.Unsendable(_logger, report, "A meter event value cannot be negative; corrections are meter event adjustments."));
        }

        KeyValuePair<string, string>[] form =
        [
            new("event_name", delivery.EventName),
            new("payload[stripe_customer_id]", customer),
            new("payload[value]", report.Quantity.ToString(CultureInfo.InvariantCulture)),
            new("identifier", report.Identifier),
            new("timestamp", report.BucketStart.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ];
        return StripeDelivery.PostAsync(_client, _logger, report, Path, form, _client.ApiVersion, identifierDeduplicated: true, cancellationToken);
    }

    /// <summary>Releases the HTTP client the sink created, if it created one.</summary>
    public void Dispose() => _client.Dispose();
}
