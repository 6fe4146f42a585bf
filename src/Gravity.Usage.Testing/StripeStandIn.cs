using System.Globalization;
using System.Net.Http.Headers;
using Gravity.Usage.Testing.Internal;

namespace Gravity.Usage.Testing;

/// <summary>
/// A local stand-in for Stripe's usage-billing API, for tests: Billing Meters, meter events (with identifier
/// de-duplication and Stripe's timestamp window), meter event adjustments, event summaries and legacy usage records,
/// behind Stripe's v1 transport rules (Bearer/Basic auth, form-encoded bodies with bracket keys, JSON answers,
/// <c>Request-Id</c>, <c>Stripe-Version</c>) and its v1 idempotency layer, with fault injection (<see cref="Faults"/>)
/// and a controllable clock (<see cref="StripeStandInOptions.TimeProvider"/>). It also serves Stripe's v2 meter event
/// stream: <c>POST /v2/billing/meter_event_session</c> (API key; a token valid for
/// <see cref="StripeStandInOptions.MeterEventSessionLifetime"/>) and <c>POST /v2/billing/meter_event_stream</c>
/// (that token; JSON, 1-100 events, validated asynchronously into <see cref="MeterEventErrors"/>, de-duplicated
/// against v1 events), with v2 error bodies <c>{"error":{"type","code","message"}}</c>.
/// </summary>
/// <remarks>
/// <para>
/// Serve it in-process (<see cref="CreateHandler"/> / <see cref="CreateClient"/>) or over loopback HTTP
/// (<see cref="StartAsync"/>: Kestrel on 127.0.0.1 with an ephemeral port); both go through the same request
/// processing, so they behave identically (except how a dropped connection surfaces).
/// </para>
/// <example>
/// <code>
/// await using var stripe = new StripeStandIn();
/// var customer = stripe.AddCustomer();
/// stripe.AddMeter("api_calls");
/// var baseAddress = await stripe.StartAsync();
/// // ... point the code under test at baseAddress with any sk_test_ key, run it, then:
/// Assert.That(stripe.GetMeterTotal("api_calls", customer), Is.EqualTo(42));
/// </code>
/// </example>
/// <para>All members are thread-safe.</para>
/// </remarks>
public sealed class StripeStandIn : IAsyncDisposable
{
    /// <summary>An API key the default <see cref="StripeStandInOptions.AcceptApiKey"/> accepts: <c>sk_test_stand_in</c>.</summary>
    public const string DefaultApiKey = "sk_test_stand_in";

    private readonly StandInEngine _engine;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private LoopbackServer? _server;
    private bool _disposed;

    /// <summary>Creates a stand-in with no customers, meters or subscription items.</summary>
    /// <param name="options">Settings; copied, so later changes have no effect. <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public StripeStandIn(StripeStandInOptions? options = null)
    {
        var copy = Copy(options ?? new StripeStandInOptions());
        Validate(copy);
        TimeProvider = copy.TimeProvider;
        _engine = new StandInEngine(copy);
    }

    /// <summary>The base address to give an <see cref="HttpClient"/> that uses <see cref="CreateHandler"/> (the host name is never resolved): <c>https://stripe-stand-in.invalid/</c>.</summary>
    public static Uri InProcessBaseAddress { get; } = new("https://stripe-stand-in.invalid/");

    /// <summary>The routes served, as <c>"METHOD /path/{param}"</c>; anything else gets Stripe's 404 <c>Unrecognized request URL</c>.</summary>
    public static IReadOnlyList<string> SupportedRoutes { get; } = Routes.All.Select(r => $"{r.Method} {r.Template}").ToArray();

    /// <summary>The stand-in's clock (<see cref="StripeStandInOptions.TimeProvider"/>).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The loopback base address (<c>http://127.0.0.1:&lt;port&gt;/</c>) once <see cref="StartAsync"/> completed; otherwise <see langword="null"/>.</summary>
    public Uri? BaseAddress => _server?.BaseAddress;

    /// <summary>Fault injection: add rules that make matching requests fail, stall or lose their answer.</summary>
    public StripeStandInFaults Faults => _engine.Faults;

    /// <summary>How many requests reached the stand-in (in-process or over HTTP), including faulted ones and replays.</summary>
    public int RequestCount => _engine.RequestCount;

    /// <summary>A snapshot of every request that reached the stand-in, in arrival order (the API key redacted).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _engine.SnapshotRequests();

    /// <summary>The identifiers of the meter events accepted (counted) so far, from v1 meter events and the v2 stream alike.</summary>
    public IReadOnlyCollection<string> AcceptedIdentifiers
    {
        get
        {
            lock (_engine.Sync)
            {
                return _engine.Ledger.AcceptedIdentifiers.ToArray();
            }
        }
    }

    /// <summary>A snapshot of every accepted meter event (v1 and v2 stream), in acceptance order, including ones cancelled since.</summary>
    public IReadOnlyList<StandInMeterEvent> MeterEvents
    {
        get
        {
            lock (_engine.Sync)
            {
                return _engine.Ledger.Events.Select(e => new StandInMeterEvent(
                    e.Meter.Id,
                    e.Meter.EventName,
                    e.Identifier,
                    e.CustomerId,
                    e.Value,
                    DateTimeOffset.FromUnixTimeSeconds(e.Timestamp),
                    e.ReceivedAt,
                    e.Cancelled,
                    new Dictionary<string, string>(e.Payload, StringComparer.Ordinal),
                    e.RequestId,
                    e.IdempotencyKey)).ToArray();
            }
        }
    }

    /// <summary>
    /// A snapshot of the v2 meter event stream's asynchronous validation errors, in the order they occurred: events that
    /// were part of a request answered 200 but were not counted (no meter, no or unknown customer, an invalid value, a
    /// timestamp outside the window). Duplicate identifiers are not errors: they are dropped and counted by
    /// <see cref="CountDuplicateIdentifier"/>.
    /// </summary>
    public IReadOnlyList<StandInMeterEventError> MeterEventErrors
    {
        get
        {
            lock (_engine.Sync)
            {
                return _engine.Ledger.MeterEventErrors.ToArray();
            }
        }
    }

    /// <summary>A snapshot of every accepted legacy usage record write, in acceptance order (idempotent replays are not writes).</summary>
    public IReadOnlyList<StandInUsageRecordWrite> UsageRecordWrites
    {
        get
        {
            lock (_engine.Sync)
            {
                return _engine.Ledger.UsageRecordWrites.ToArray();
            }
        }
    }

    /// <summary>
    /// Creates a handler that serves requests in-process. Use it with <see cref="InProcessBaseAddress"/>:
    /// <c>new HttpClient(standIn.CreateHandler()) { BaseAddress = StripeStandIn.InProcessBaseAddress }</c>.
    /// A dropped-connection fault surfaces as <see cref="HttpRequestException"/>; a timeout fault holds the request until
    /// the client's timeout or cancellation.
    /// </summary>
    /// <returns>A new handler; the caller disposes it (or the <see cref="HttpClient"/> that owns it).</returns>
    public HttpMessageHandler CreateHandler() => new InProcessHandler(_engine);

    /// <summary>Creates an in-process <see cref="HttpClient"/> with <see cref="InProcessBaseAddress"/> and a Bearer API key.</summary>
    /// <param name="apiKey">The API key to send; defaults to <see cref="DefaultApiKey"/>.</param>
    /// <returns>A new client; the caller disposes it.</returns>
    public HttpClient CreateClient(string apiKey = DefaultApiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        var client = new HttpClient(CreateHandler(), disposeHandler: true) { BaseAddress = InProcessBaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>Starts serving over HTTP on 127.0.0.1 with an ephemeral port. Calling it again returns the same address.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The base address, <c>http://127.0.0.1:&lt;port&gt;/</c>.</returns>
    /// <exception cref="ObjectDisposedException">The stand-in was disposed.</exception>
    public async Task<Uri> StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _server ??= await LoopbackServer.StartAsync(_engine, cancellationToken).ConfigureAwait(false);
            return _server.BaseAddress;
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>
    /// Expires every v2 meter event session now: their tokens get 401 <c>temporary_session_expired</c> from the meter
    /// event stream, as when <see cref="StripeStandInOptions.MeterEventSessionLifetime"/> passes. Sessions created
    /// afterwards are unaffected.
    /// </summary>
    public void ExpireMeterEventSessions()
    {
        lock (_engine.Sync)
        {
            _engine.Ledger.ExpireMeterEventSessions(_engine.Now);
        }
    }

    /// <summary>Registers a customer, so meter events for it are accepted. Registering an existing id is a no-op.</summary>
    /// <param name="id">The customer id (e.g. <c>cus_123</c>), or <see langword="null"/> to generate one.</param>
    /// <returns>The customer id.</returns>
    public string AddCustomer(string? id = null)
    {
        if (id is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(id);
        }

        lock (_engine.Sync)
        {
            return _engine.Ledger.AddCustomer(id);
        }
    }

    /// <summary>Whether a customer is registered.</summary>
    /// <param name="id">The customer id.</param>
    /// <returns><see langword="true"/> when it is.</returns>
    public bool HasCustomer(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_engine.Sync)
        {
            return _engine.Ledger.HasCustomer(id);
        }
    }

    /// <summary>
    /// Creates an active meter with the default payload keys (<c>stripe_customer_id</c>, <c>value</c>), as
    /// <c>POST /v1/billing/meters</c> would; the display name is the event name.
    /// </summary>
    /// <param name="eventName">The event name (1-100 characters); one meter per event name.</param>
    /// <param name="formula"><c>sum</c> (default), <c>count</c> or <c>last</c>.</param>
    /// <param name="id">The meter id (e.g. <c>mtr_1</c>), or <see langword="null"/> to generate one.</param>
    /// <returns>The meter id.</returns>
    /// <exception cref="ArgumentException">An invalid event name or formula.</exception>
    /// <exception cref="InvalidOperationException">A meter with that event name or id already exists.</exception>
    public string AddMeter(string eventName, string formula = "sum", string? id = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ArgumentNullException.ThrowIfNull(formula);
        if (eventName.Length > 100)
        {
            throw new ArgumentException("The event name must be at most 100 characters.", nameof(eventName));
        }

        if (formula is not ("sum" or "count" or "last"))
        {
            throw new ArgumentException("The formula must be sum, count or last.", nameof(formula));
        }

        lock (_engine.Sync)
        {
            if (_engine.Ledger.FindMeterByEventName(eventName) is not null || (id is not null && _engine.Ledger.FindMeter(id) is not null))
            {
                throw new InvalidOperationException($"A meter with event name '{eventName}' or id '{id}' already exists.");
            }

            return _engine.Ledger.AddMeter(eventName, formula, id, eventName, "stripe_customer_id", "value", null, _engine.Now).Id;
        }
    }

    /// <summary>
    /// Makes the stand-in reject the next meter event with this identifier asynchronously, as Stripe does when it
    /// validates an event after answering: the request (v1 or the v2 stream) is answered 200 as if accepted, the event
    /// is not counted, and the error is recorded in <see cref="MeterEventErrors"/> and served as a
    /// <c>v1.billing.meter.error_report_triggered</c> event on <c>GET /v2/core/events</c> (related to the meter).
    /// </summary>
    /// <param name="identifier">The identifier of the meter event to reject (one event: the rule is used up by it).</param>
    /// <param name="code">Stripe's error report code; <c>meter_event_customer_not_found</c> by default.</param>
    /// <param name="message">The error message; a default naming the code when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The identifier or code is empty.</exception>
    public void RejectMeterEventAsynchronously(string identifier, string code = "meter_event_customer_not_found", string? message = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identifier);
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        lock (_engine.Sync)
        {
            _engine.Ledger.RejectAsynchronously(identifier, code, message ?? $"The meter event was rejected after it was accepted ({code}).");
        }
    }

    /// <summary>Deactivates a meter: its events are rejected (400 <c>archived_meter</c>) until it is reactivated.</summary>
    /// <param name="meterId">The meter id.</param>
    /// <exception cref="ArgumentException">No such meter.</exception>
    public void DeactivateMeter(string meterId) => SetMeterActive(meterId, active: false);

    /// <summary>Reactivates a meter.</summary>
    /// <param name="meterId">The meter id.</param>
    /// <exception cref="ArgumentException">No such meter.</exception>
    public void ReactivateMeter(string meterId) => SetMeterActive(meterId, active: true);

    /// <summary>
    /// Creates a legacy subscription item (for <c>/v1/subscription_items/{si}/usage_records</c>) with its current billing
    /// period. When the stand-in's clock passes the period's end, the subscription renews with periods of the same
    /// length. Registers the customer if needed.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="currentPeriodStart">The current period's start (inclusive; whole seconds are kept).</param>
    /// <param name="currentPeriodEnd">The current period's end (exclusive).</param>
    /// <param name="id">The subscription item id (e.g. <c>si_123</c>), or <see langword="null"/> to generate one.</param>
    /// <returns>The subscription item id.</returns>
    /// <exception cref="ArgumentException">The period does not end after it starts.</exception>
    /// <exception cref="InvalidOperationException">A subscription item with that id already exists.</exception>
    public string AddLegacySubscriptionItem(string customerId, DateTimeOffset currentPeriodStart, DateTimeOffset currentPeriodEnd, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        lock (_engine.Sync)
        {
            return _engine.Ledger.AddSubscriptionItem(id, customerId, currentPeriodStart.ToUnixTimeSeconds(), currentPeriodEnd.ToUnixTimeSeconds()).Id;
        }
    }

    /// <summary>
    /// Creates a subscription with one metered recurring price, as Stripe would answer it on
    /// <c>GET /v1/subscriptions/{id}</c>: its <c>billing_cycle_anchor</c>, and the price's <c>recurring.interval</c> and
    /// <c>interval_count</c>, from which Stripe's billing periods follow (an anchor on the 29th to 31st falls on the last
    /// day of shorter months). Registers the customer if needed.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="billingCycleAnchor">The anchor (whole seconds are kept).</param>
    /// <param name="interval"><c>day</c>, <c>week</c>, <c>month</c> (default) or <c>year</c>.</param>
    /// <param name="intervalCount">How many intervals one period lasts: 1 (default) to three years' worth.</param>
    /// <param name="id">The subscription id (e.g. <c>sub_123</c>), or <see langword="null"/> to generate one.</param>
    /// <returns>The subscription id.</returns>
    /// <exception cref="ArgumentException">An unknown interval, or a count out of range.</exception>
    /// <exception cref="InvalidOperationException">A subscription with that id already exists.</exception>
    public string AddSubscription(string customerId, DateTimeOffset billingCycleAnchor, string interval = "month", int intervalCount = 1, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        ArgumentNullException.ThrowIfNull(interval);
        var max = interval switch
        {
            "day" => 3 * 365,
            "week" => 156,
            "month" => 36,
            "year" => 3,
            _ => throw new ArgumentException("The interval must be day, week, month or year.", nameof(interval)),
        };
        if (intervalCount < 1 || intervalCount > max)
        {
            throw new ArgumentOutOfRangeException(nameof(intervalCount), intervalCount, string.Create(CultureInfo.InvariantCulture, $"A {interval} subscription lasts 1 to {max} {interval}s (three years at most)."));
        }

        lock (_engine.Sync)
        {
            return _engine.Ledger.AddSubscription(id, customerId, billingCycleAnchor.ToUnixTimeSeconds(), interval, intervalCount, _engine.Now.ToUnixTimeSeconds()).Id;
        }
    }

    /// <summary>
    /// Moves a subscription's billing cycle anchor, as a plan change with <c>billing_cycle_anchor=now</c> does: the
    /// current period ends and a new one starts at <paramref name="billingCycleAnchor"/>.
    /// </summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="billingCycleAnchor">The new anchor (whole seconds are kept).</param>
    /// <exception cref="ArgumentException">No such subscription.</exception>
    public void ResetBillingCycleAnchor(string subscriptionId, DateTimeOffset billingCycleAnchor)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        lock (_engine.Sync)
        {
            var subscription = _engine.Ledger.FindSubscription(subscriptionId) ?? throw new ArgumentException($"No subscription '{subscriptionId}'.", nameof(subscriptionId));
            subscription.Anchor = billingCycleAnchor.ToUnixTimeSeconds();
        }
    }

    /// <summary>The all-time aggregate of a customer's accepted, non-cancelled events on a meter, as a whole number.</summary>
    /// <param name="eventName">The meter's event name.</param>
    /// <param name="customerId">The customer.</param>
    /// <returns>The sum of the values (a <c>sum</c> meter), the number of events (<c>count</c>) or the latest value (<c>last</c>); 0 when there are none.</returns>
    /// <exception cref="ArgumentException">No meter has that event name.</exception>
    /// <exception cref="InvalidOperationException">The aggregate is not a whole number (decimal values); use <see cref="GetMeterAggregate"/>.</exception>
    public long GetMeterTotal(string eventName, string customerId)
    {
        var value = GetMeterAggregate(eventName, customerId);
        return decimal.Truncate(value) == value
            ? (long)value
            : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The aggregate {value} is not a whole number; use GetMeterAggregate."));
    }

    /// <summary>The aggregate of a customer's accepted, non-cancelled events on a meter, per the meter's formula, over event timestamps in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    /// <param name="eventName">The meter's event name.</param>
    /// <param name="customerId">The customer.</param>
    /// <param name="from">The inclusive start, or <see langword="null"/> for the beginning of time.</param>
    /// <param name="to">The exclusive end, or <see langword="null"/> for no end.</param>
    /// <returns>The aggregate; 0 when there are no events.</returns>
    /// <exception cref="ArgumentException">No meter has that event name.</exception>
    public decimal GetMeterAggregate(string eventName, string customerId, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(customerId);
        lock (_engine.Sync)
        {
            var meter = _engine.Ledger.FindMeterByEventName(eventName)
                ?? throw new ArgumentException($"No meter has the event name '{eventName}'.", nameof(eventName));
            return _engine.Ledger.GetAggregate(meter, customerId, from?.ToUnixTimeSeconds() ?? long.MinValue, to?.ToUnixTimeSeconds() ?? long.MaxValue);
        }
    }

    /// <summary>How many times a meter event with this identifier was accepted (counted). Exactly-once delivery keeps it at 1.</summary>
    /// <param name="identifier">The identifier.</param>
    /// <returns>The count; 0 when never accepted. It exceeds 1 only if the identifier was sent again after its uniqueness window.</returns>
    public int CountAcceptedIdentifier(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        lock (_engine.Sync)
        {
            return _engine.Ledger.CountAccepted(identifier);
        }
    }

    /// <summary>How many times a meter event with this identifier was sent again within its uniqueness window and not counted (on v1 rejected or silently accepted per <see cref="StripeStandInOptions.DuplicateIdentifier"/>; on the v2 stream always dropped silently). Idempotent replays do not count.</summary>
    /// <param name="identifier">The identifier.</param>
    /// <returns>The count.</returns>
    public int CountDuplicateIdentifier(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        lock (_engine.Sync)
        {
            return _engine.Ledger.CountDuplicates(identifier);
        }
    }

    /// <summary>The total usage of a legacy subscription item: the sum of the quantities per timestamp (after increments and sets) whose timestamp is in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    /// <param name="subscriptionItemId">The subscription item.</param>
    /// <param name="from">The inclusive start, or <see langword="null"/> for all time.</param>
    /// <param name="to">The exclusive end, or <see langword="null"/> for no end.</param>
    /// <returns>The total.</returns>
    /// <exception cref="ArgumentException">No such subscription item.</exception>
    public long GetUsageRecordTotal(string subscriptionItemId, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        ArgumentNullException.ThrowIfNull(subscriptionItemId);
        lock (_engine.Sync)
        {
            var item = _engine.Ledger.FindSubscriptionItem(subscriptionItemId)
                ?? throw new ArgumentException($"No subscription item '{subscriptionItemId}'.", nameof(subscriptionItemId));
            return Ledger.GetUsageTotal(item, from?.ToUnixTimeSeconds() ?? long.MinValue, to?.ToUnixTimeSeconds() ?? long.MaxValue);
        }
    }

    /// <summary>How many requests reached the stand-in with this method and path prefix, including faulted ones and replays.</summary>
    /// <param name="method">The HTTP method (case-insensitive), or <see langword="null"/> or <c>*</c> for any.</param>
    /// <param name="pathPrefix">The path prefix, e.g. <c>/v1/billing/meter_events</c>.</param>
    /// <returns>The count.</returns>
    public int CountRequests(string? method, string pathPrefix)
    {
        ArgumentNullException.ThrowIfNull(pathPrefix);
        return _engine.CountRequests(method, pathPrefix);
    }

    /// <summary>How many requests reached the stand-in with this <c>Idempotency-Key</c> header, including faulted ones and replays.</summary>
    /// <param name="idempotencyKey">The key.</param>
    /// <returns>The count.</returns>
    public int CountIdempotencyKeyAttempts(string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        return _engine.CountIdempotencyKeyAttempts(idempotencyKey);
    }

    internal bool IsIdempotencyKeyInFlight(string idempotencyKey) => _engine.IsIdempotencyKeyInFlight(idempotencyKey);

    /// <summary>Forgets the recorded requests and attempt counters (state, stored idempotency keys and fault rules are kept).</summary>
    public void ClearRequests() => _engine.ClearRequests();

    /// <summary>Stops the loopback server (if started) and ends held requests (their connections are dropped).</summary>
    /// <returns>A task that completes when the server stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _startLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _engine.Dispose();
            if (_server is not null)
            {
                await _server.DisposeAsync().ConfigureAwait(false);
                _server = null;
            }
        }
        finally
        {
            _startLock.Release();
        }
    }

    private void SetMeterActive(string meterId, bool active)
    {
        ArgumentNullException.ThrowIfNull(meterId);
        lock (_engine.Sync)
        {
            var meter = _engine.Ledger.FindMeter(meterId) ?? throw new ArgumentException($"No meter '{meterId}'.", nameof(meterId));
            Ledger.SetMeterActive(meter, active, _engine.Now);
        }
    }

    private static StripeStandInOptions Copy(StripeStandInOptions o) => new()
    {
        TimeProvider = o.TimeProvider,
        AcceptApiKey = o.AcceptApiKey,
        DuplicateIdentifier = o.DuplicateIdentifier,
        IntegerValuesOnly = o.IntegerValuesOnly,
        AutoCreateMeters = o.AutoCreateMeters,
        AutoCreateCustomers = o.AutoCreateCustomers,
        ResponseDelay = o.ResponseDelay,
        FaultSeed = o.FaultSeed,
        DefaultApiVersion = o.DefaultApiVersion,
        IdempotencyKeyRetention = o.IdempotencyKeyRetention,
        IdentifierUniquenessWindow = o.IdentifierUniquenessWindow,
        ReplayEndpointErrors = o.ReplayEndpointErrors,
        MeterEventSessionLifetime = o.MeterEventSessionLifetime,
    };

    private static void Validate(StripeStandInOptions options)
    {
        var o = options;
        var problems = new List<string>();
        if (o.TimeProvider is null)
        {
            problems.Add("TimeProvider must not be null.");
        }

        if (o.AcceptApiKey is null)
        {
            problems.Add("AcceptApiKey must not be null.");
        }

        if (!Enum.IsDefined(o.DuplicateIdentifier))
        {
            problems.Add("DuplicateIdentifier is not a defined value.");
        }

        if (o.ResponseDelay < TimeSpan.Zero)
        {
            problems.Add("ResponseDelay must not be negative.");
        }

        if (o.IdempotencyKeyRetention <= TimeSpan.Zero)
        {
            problems.Add("IdempotencyKeyRetention must be positive.");
        }

        if (o.IdentifierUniquenessWindow <= TimeSpan.Zero)
        {
            problems.Add("IdentifierUniquenessWindow must be positive.");
        }

        if (o.MeterEventSessionLifetime <= TimeSpan.Zero)
        {
            problems.Add("MeterEventSessionLifetime must be positive.");
        }

        if (o.DefaultApiVersion is null || o.DefaultApiVersion.Length < 10 || !DateOnly.TryParseExact(o.DefaultApiVersion[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            problems.Add("DefaultApiVersion must look like 2026-10-28.endive.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid StripeStandInOptions: " + string.Join(" ", problems), nameof(options));
        }
    }
}
