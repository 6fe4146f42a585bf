using System.Diagnostics.Metrics;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Delivers usage reports to Stripe as billing meter events (<c>POST /v1/billing/meter_events</c> through Stripe.net),
/// one event per report, with the report identifier as the event's <c>identifier</c> and the request's
/// <c>Idempotency-Key</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each event carries <c>event_name</c> (<see cref="UsageDelivery.EventName"/>), <c>payload[stripe_customer_id]</c>,
/// <c>payload[value]</c> (the quantity as an integer of at most 15 digits) and <c>timestamp</c> (the bucket start).
/// Stripe de-duplicates identifiers for at least 24 hours; its answer that the identifier already exists counts as
/// delivered.
/// </para>
/// <para>
/// Answers: success is <see cref="DeliveryOutcome.Delivered"/>; connection errors, timeouts, 409, 429, 5xx and
/// <c>Stripe-Should-Retry: true</c> (after Stripe.net's own retries) are <see cref="DeliveryOutcome.Transient"/>;
/// other 4xx and <c>Stripe-Should-Retry: false</c> are <see cref="DeliveryOutcome.Permanent"/>, with Stripe's message
/// and request id. Dispose the sink to release the HTTP client it created (none when <see cref="StripeOptions.HttpClient"/>
/// or <see cref="StripeOptions.Client"/> is set).
/// </para>
/// </remarks>
public sealed class StripeMeterEventSink : IUsageSink, IDisposable
{
    private const string Request = "POST /v1/billing/meter_events";

    private readonly StripeTransport _transport;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="StripeMeterEventSink"/> class.</summary>
    /// <param name="options">The Stripe options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock of the pacing; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where refusals and transient failures are logged (never the key); nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">
    /// Creates the <see cref="UsageTelemetry.MeterName"/> meter Stripe calls are measured on (DI's, so it belongs to the container);
    /// one shared static meter when <see langword="null"/>.
    /// </param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeMeterEventSink(StripeOptions options, TimeProvider? timeProvider = null, ILogger<StripeMeterEventSink>? logger = null, IMeterFactory? meterFactory = null)
        : this(new StripeTransport(options, timeProvider ?? TimeProvider.System, UsageInstruments.For(meterFactory)), logger)
    {
    }

    internal StripeMeterEventSink(StripeTransport transport, ILogger? logger)
    {
        _transport = transport;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public async Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var report = delivery.Report;
        if ((StripeMeterEvent.Problem(delivery) ?? StripeMeterEvent.IdempotencyKeyProblem(report)) is { } problem)
        {
            return StripeDeliveryLog.Unsendable(_logger, report, problem);
        }

        await _transport.RequestPacer.WaitAsync(1, cancellationToken).ConfigureAwait(false);
        using var call = StripeCall.Start(_transport, UsageTags.MeterEvents, 1);
        using var limit = _transport.LimitCall(cancellationToken);
        try
        {
            var meterEvent = await _transport.MeterEvents.CreateAsync(
                new StripeNet.Billing.MeterEventCreateOptions
                {
                    EventName = delivery.EventName,
                    Payload = StripeMeterEvent.Payload(delivery),
                    Identifier = report.Identifier,
                    Timestamp = report.BucketStart.UtcDateTime,
                },
                new StripeNet.RequestOptions { IdempotencyKey = report.IdempotencyKey },
                limit.Token).ConfigureAwait(false);
            var requestId = _transport.Redact(meterEvent.StripeResponse?.RequestId);
            call.Delivered(requestId);
            return StripeDeliveryLog.Delivered(_logger, report, Request, requestId);
        }
        catch (Exception exception) when (StripeFailure.From(exception, Request, _transport, cancellationToken) is { } failure)
        {
            call.Failed(failure);
            return StripeDeliveryLog.Failed(_logger, report, Request, failure, identifierDeduplicated: true);
        }
    }

    /// <summary>
    /// Cancels the meter event of a delivered report for a correction: <c>POST /v1/billing/meter_event_adjustments</c>
    /// with <c>type=cancel</c> and the report's identifier (Stripe cancels events it received in the last 24 hours).
    /// </summary>
    /// <param name="delivery">The report to cancel.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Delivered once Stripe cancelled it; transient to ask again; permanent when Stripe refused (the amount then needs a credit).</returns>
    public Task<DeliveryResult> CancelAsync(UsageDelivery delivery, CancellationToken cancellationToken = default) =>
        StripeMeterEventCancellation.CancelAsync(_transport, _logger, delivery, cancellationToken);

    /// <summary>Releases the HTTP client the sink created, if it created one.</summary>
    public void Dispose() => _transport.Dispose();
}
