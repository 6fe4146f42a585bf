using System.Globalization;
using System.Diagnostics.Metrics;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Delivers usage reports to Stripe as legacy usage records
/// (<c>POST /v1/subscription_items/{item}/usage_records</c>, <c>action=increment</c> for sums and <c>action=set</c> for
/// gauges, whose reports carry the billing period's value), for subscriptions still on
/// legacy metered prices. Stripe.net no longer has a typed service for them, so they go through its raw requests with
/// <c>Stripe-Version</c> pinned to <see cref="StripeOptions.LegacyApiVersion"/>.
/// </summary>
/// <remarks>
/// <para>
/// The subscription item is the account's <see cref="UsageAccount.SubscriptionItems"/> entry for the report's meter;
/// the timestamp is the bucket start, which Stripe requires to lie in the subscription's current billing period.
/// Usage records have no identifier: a repeated delivery is de-duplicated only by the <c>Idempotency-Key</c> (the
/// report identifier), which Stripe remembers for about 24 hours.
/// </para>
/// <para>Answers map as for <see cref="StripeMeterEventSink"/>.</para>
/// <para>
/// Usage records cannot be cancelled (Stripe has no adjustment for them, and a negative quantity is refused), so this
/// sink keeps <see cref="IUsageSink.CancelAsync"/>'s default: a correction of usage already recorded is parked as
/// <see cref="UsageReportStatus.NeedsCredit"/> for the host to credit.
/// </para>
/// </remarks>
public sealed class StripeUsageRecordSink : IUsageSink, IDisposable
{
    private readonly StripeTransport _transport;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="StripeUsageRecordSink"/> class.</summary>
    /// <param name="options">The Stripe options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock of the pacing; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where refusals and transient failures are logged (never the key); nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">
    /// Creates the <see cref="UsageTelemetry.MeterName"/> meter Stripe calls are measured on (DI's, so it belongs to the container);
    /// one shared static meter when <see langword="null"/>.
    /// </param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeUsageRecordSink(StripeOptions options, TimeProvider? timeProvider = null, ILogger<StripeUsageRecordSink>? logger = null, IMeterFactory? meterFactory = null)
        : this(new StripeTransport(options, timeProvider ?? TimeProvider.System, UsageInstruments.For(meterFactory)), logger)
    {
    }

    internal StripeUsageRecordSink(StripeTransport transport, ILogger? logger)
    {
        _transport = transport;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public async Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var report = delivery.Report;
        if (!delivery.BillingAccount.SubscriptionItems.TryGetValue(report.Meter, out var item) || string.IsNullOrWhiteSpace(item))
        {
            return StripeDeliveryLog.Unsendable(
                _logger,
                report,
                $"Account '{report.Account}' has no legacy Stripe subscription item for meter '{report.Meter}'; add it to the account's SubscriptionItems with IUsageAccountStore.SaveAccountAsync or the account resolver.");
        }

        if (StripeMeterEvent.IdempotencyKeyProblem(report) is { } keyProblem)
        {
            return StripeDeliveryLog.Unsendable(_logger, report, keyProblem);
        }

        if (report.Quantity < 0)
        {
            return StripeDeliveryLog.Unsendable(_logger, report, "A usage record quantity cannot be negative.");
        }

        var path = PathFor(item);
        var request = "POST " + path;
        var client = _transport.Concrete;
        var form = string.Create(
            CultureInfo.InvariantCulture,
            $"quantity={report.Quantity}&timestamp={report.BucketStart.ToUnixTimeSeconds()}&action={ActionFor(delivery.Kind)}");
        await _transport.RequestPacer.WaitAsync(1, cancellationToken).ConfigureAwait(false);
        using var call = StripeCall.Start(_transport, UsageTags.UsageRecords, 1);
        using var limit = _transport.LimitCall(cancellationToken);
        try
        {
            var response = await client.RawRequestAsync(
                HttpMethod.Post,
                path,
                form,
                new StripeNet.RawRequestOptions
                {
                    IdempotencyKey = report.IdempotencyKey,
                    AdditionalHeaders = { ["Stripe-Version"] = _transport.LegacyApiVersion },
                },
                limit.Token).ConfigureAwait(false);
            var requestId = _transport.Redact(response.RequestId);
            call.Delivered(requestId);
            return StripeDeliveryLog.Delivered(_logger, report, request, requestId);
        }
        catch (Exception exception) when (StripeFailure.From(exception, request, _transport, cancellationToken) is { } failure)
        {
            call.Failed(failure);
            return StripeDeliveryLog.Failed(_logger, report, request, failure, identifierDeduplicated: false);
        }
    }

    /// <summary>Releases the HTTP client the sink created, if it created one.</summary>
    public void Dispose() => _transport.Dispose();

    /// <summary>A sum adds its delta to the usage at the timestamp; a gauge's value replaces it (the period's latest record is what a <c>last_during_period</c>, <c>max</c> or <c>last_ever</c> price bills).</summary>
    private static string ActionFor(MeterKind kind) => kind == MeterKind.Sum ? "increment" : "set";

    internal static string PathFor(string subscriptionItem) => "/v1/subscription_items/" + Uri.EscapeDataString(subscriptionItem) + "/usage_records";
}
