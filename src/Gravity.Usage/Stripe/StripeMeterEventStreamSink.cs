using System.Security.Cryptography;
using System.Text;
using System.Diagnostics.Metrics;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Delivers usage reports through Stripe's v2 meter event stream (<c>POST /v2/billing/meter_event_stream</c> through
/// Stripe.net): up to 100 events per request, authenticated with a session token from
/// <c>POST /v2/billing/meter_event_session</c>.
/// </summary>
/// <remarks>
/// <para>
/// The session token lasts 15 minutes; it is renewed a minute before it runs out, and at once when Stripe answers
/// <c>billing_meter_event_session_expired</c> (the batch is then sent again on the new token). Each event carries the
/// report identifier, which Stripe de-duplicates.
/// </para>
/// <para>
/// Stripe validates stream events <em>asynchronously</em>: a delivered report means Stripe accepted the request. An
/// event it later rejects (unknown customer, no such meter) is reported by Stripe's
/// <c>v1.billing.meter.error_report_triggered</c> event, not in the answer. Events are paced to
/// <see cref="StripeOptions.MaxStreamEventsPerSecond"/>, session requests to <see cref="StripeOptions.MaxRequestsPerSecond"/>.
/// </para>
/// </remarks>
public sealed class StripeMeterEventStreamSink : IUsageSink, IDisposable
{
    /// <summary>The most events Stripe takes in one stream request.</summary>
    public const int MaxEventsPerRequest = 100;

    private const string Request = "POST /v2/billing/meter_event_stream";
    private const string SessionRequest = "POST /v2/billing/meter_event_session";

    private readonly StripeTransport _transport;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sessionLock = new(1, 1);
    private StreamSession? _session;

    /// <summary>Initializes a new instance of the <see cref="StripeMeterEventStreamSink"/> class.</summary>
    /// <param name="options">The Stripe options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock of the pacing and of the session's lifetime; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where refusals and transient failures are logged (never the key or token); nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">
    /// Creates the <see cref="UsageTelemetry.MeterName"/> meter Stripe calls are measured on (DI's, so it belongs to the container);
    /// one shared static meter when <see langword="null"/>.
    /// </param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeMeterEventStreamSink(StripeOptions options, TimeProvider? timeProvider = null, ILogger<StripeMeterEventStreamSink>? logger = null, IMeterFactory? meterFactory = null)
        : this(new StripeTransport(options, timeProvider ?? TimeProvider.System, UsageInstruments.For(meterFactory)), timeProvider ?? TimeProvider.System, logger)
    {
    }

    internal StripeMeterEventStreamSink(StripeTransport transport, TimeProvider timeProvider, ILogger? logger)
    {
        _transport = transport;
        _timeProvider = timeProvider;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public int MaxBatchSize => MaxEventsPerRequest;

    /// <inheritdoc/>
    public async Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return (await DeliverBatchAsync([delivery], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverBatchAsync(IReadOnlyList<UsageDelivery> deliveries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        if (deliveries.Count > MaxEventsPerRequest)
        {
            throw new ArgumentException($"The meter event stream takes at most {MaxEventsPerRequest} events per request; {deliveries.Count} were given.", nameof(deliveries));
        }

        var results = new DeliveryResult[deliveries.Count];
        var sendable = new List<int>(deliveries.Count);
        for (var i = 0; i < deliveries.Count; i++)
        {
            if (StripeMeterEvent.Problem(deliveries[i]) is { } problem)
            {
                results[i] = StripeDeliveryLog.Unsendable(_logger, deliveries[i].Report, problem);
            }
            else
            {
                sendable.Add(i);
            }
        }

        if (sendable.Count > 0)
        {
            await SendAsync(deliveries, sendable, results, cancellationToken).ConfigureAwait(false);
        }

        return results;
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
    public void Dispose()
    {
        _transport.Dispose();
        _sessionLock.Dispose();
    }

    private async Task SendAsync(IReadOnlyList<UsageDelivery> deliveries, List<int> sendable, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        var options = new StripeNet.V2.Billing.MeterEventStreamCreateOptions
        {
            Events = sendable.Select(i => new StripeNet.V2.Billing.MeterEventStreamCreateEventOptions
            {
                EventName = deliveries[i].EventName,
                Identifier = deliveries[i].Report.Identifier,
                Payload = StripeMeterEvent.Payload(deliveries[i]),
                Timestamp = deliveries[i].Report.BucketStart.UtcDateTime,
            }).ToList(),
        };
        var idempotencyKey = BatchKey(deliveries, sendable);
        await _transport.EventPacer.WaitAsync(sendable.Count, cancellationToken).ConfigureAwait(false);
        StripeFailure? failure = null;
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            StreamSession session;
            try
            {
                session = await GetSessionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (StripeFailure.From(exception, SessionRequest, _transport, cancellationToken) is { } sessionFailure)
            {
                failure = sessionFailure;
                break;
            }

            using var call = StripeCall.Start(_transport, UsageTags.MeterEventStream, sendable.Count);
            using var limit = _transport.LimitCall(cancellationToken);
            try
            {
                var response = await _transport.Stream.CreateAsync(
                    options,
                    new StripeNet.RequestOptions { ApiKey = session.Token, IdempotencyKey = idempotencyKey },
                    limit.Token).ConfigureAwait(false);
                var requestId = StripeSecrets.Redact(_transport.Redact(response.StripeResponse?.RequestId), session.Token);
                call.Delivered(requestId);
                foreach (var i in sendable)
                {
                    results[i] = StripeDeliveryLog.Delivered(_logger, deliveries[i].Report, Request, requestId);
                }

                return;
            }
            catch (Exception exception) when (StripeFailure.From(exception, Request, _transport, cancellationToken) is { } streamFailure)
            {
                failure = Scrub(streamFailure, session.Token);
                call.Failed(failure.Value);
                if (streamFailure.Kind != StripeFailureKind.SessionExpired)
                {
                    break;
                }

                ForgetSession(session);
            }
        }

        foreach (var i in sendable)
        {
            // The stream de-duplicates identifiers but replays nothing worth a fresh key: identifierDeduplicated only
            // decides whether a stored error may be side-stepped, which the v2 idempotency layer does not store.
            results[i] = StripeDeliveryLog.Failed(_logger, deliveries[i].Report, Request, failure!.Value, identifierDeduplicated: true);
        }
    }

    /// <summary>The current session, renewed a minute before Stripe's expiry (measured on this clock from the session's lifetime, so a skewed clock cannot keep a dead token).</summary>
    private async Task<StreamSession> GetSessionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _session) is { } current && _timeProvider.GetTimestamp() < current.RenewAt)
        {
            return current;
        }

        await _sessionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_session is { } fresh && _timeProvider.GetTimestamp() < fresh.RenewAt)
            {
                return fresh;
            }

            await _transport.RequestPacer.WaitAsync(1, cancellationToken).ConfigureAwait(false);
            var started = _timeProvider.GetTimestamp();
            var created = await CreateSessionAsync(cancellationToken).ConfigureAwait(false);
            var lifetime = created.ExpiresAt - created.Created;
            var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, lifetime.Ticks / 4));
            var renewAt = started + (long)((lifetime - margin).TotalSeconds * _timeProvider.TimestampFrequency);
            var session = new StreamSession(created.AuthenticationToken, renewAt);
            Volatile.Write(ref _session, session);
            return session;
        }
        finally
        {
            _sessionLock.Release();
        }
    }

    private async Task<StripeNet.V2.Billing.MeterEventSession> CreateSessionAsync(CancellationToken cancellationToken)
    {
        using var call = StripeCall.Start(_transport, UsageTags.Session, 0);
        using var limit = _transport.LimitCall(cancellationToken);
        try
        {
            var created = await _transport.StreamSessions.CreateAsync(new StripeNet.V2.Billing.MeterEventSessionCreateOptions(), null, limit.Token).ConfigureAwait(false);
            call.Delivered(_transport.Redact(created.StripeResponse?.RequestId));
            return created;
        }
        catch (Exception exception) when (StripeFailure.From(exception, SessionRequest, _transport, cancellationToken) is { } failure)
        {
            // Only measured here; the caller classifies the same exception again to decide the reports' fate.
            call.Failed(failure);
            throw;
        }
    }

    private void ForgetSession(StreamSession expired) => Interlocked.CompareExchange(ref _session, null, expired);

    /// <summary>The session token is a secret too: never in a message or a request id.</summary>
    private static StripeFailure Scrub(StripeFailure failure, string token) =>
        failure with { Message = StripeSecrets.Redact(failure.Message, token)!, RequestId = StripeSecrets.Redact(failure.RequestId, token) };

    /// <summary>One idempotency key per batch, derived from its identifiers, so Stripe.net's retries of the request share it.</summary>
    private static string BatchKey(IReadOnlyList<UsageDelivery> deliveries, List<int> sendable)
    {
        var text = new StringBuilder();
        foreach (var i in sendable)
        {
            text.Append(deliveries[i].Report.IdempotencyKey).Append('\n');
        }

        return "gu_stream_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 20));
    }

    private sealed record StreamSession(string Token, long RenewAt);
}
