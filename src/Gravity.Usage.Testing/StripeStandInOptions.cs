namespace Gravity.Usage.Testing;

/// <summary>Settings of a <see cref="StripeStandIn"/>. Read once, when the stand-in is created.</summary>
public sealed class StripeStandInOptions
{
    /// <summary>
    /// The stand-in's clock: "now" for default timestamps, the 35-day / 5-minute timestamp window, the 24-hour
    /// identifier uniqueness, idempotency key retention, meter event session expiry and subscription periods. Use
    /// <c>FakeTimeProvider</c> (Microsoft.Extensions.TimeProvider.Testing) to control it. Injected delays and timeouts use real time regardless. Defaults to <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Decides whether an API key is valid. Defaults to keys that start with <c>sk_test_</c>.</summary>
    public Func<string, bool> AcceptApiKey { get; set; } = static key => key.StartsWith("sk_test_", StringComparison.Ordinal);

    /// <summary>
    /// How a v1 meter event with an identifier accepted within <see cref="IdentifierUniquenessWindow"/> is answered.
    /// Defaults to <see cref="DuplicateIdentifierBehavior.Reject"/>. The v2 meter event stream always drops such an
    /// event silently, as Stripe does.
    /// </summary>
    public DuplicateIdentifierBehavior DuplicateIdentifier { get; set; } = DuplicateIdentifierBehavior.Reject;

    /// <summary>
    /// Whether meter event values must be non-negative integer strings (the default). When <see langword="false"/>,
    /// non-negative decimal strings with at most 15 significant digits are accepted too.
    /// </summary>
    public bool IntegerValuesOnly { get; set; } = true;

    /// <summary>Whether a meter event for an unknown <c>event_name</c> creates a <c>sum</c> meter instead of being rejected. Defaults to <see langword="false"/>.</summary>
    public bool AutoCreateMeters { get; set; }

    /// <summary>Whether a meter event for an unknown customer registers the customer instead of being rejected. Defaults to <see langword="false"/>.</summary>
    public bool AutoCreateCustomers { get; set; }

    /// <summary>
    /// Real time added to every request while it is being processed (after authentication and the idempotency check,
    /// before the endpoint runs), to model Stripe's latency. Defaults to zero.
    /// </summary>
    public TimeSpan ResponseDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The seed of the random numbers that decide probabilistic faults, so a run can be reproduced. Defaults to 1.</summary>
    public int FaultSeed { get; set; } = 1;

    /// <summary>
    /// The API version that applies to requests without a <c>Stripe-Version</c> header (the account's default version)
    /// and is returned in their <c>Stripe-Version</c> response header. Defaults to <c>2026-10-28.endive</c>.
    /// </summary>
    public string DefaultApiVersion { get; set; } = "2026-10-28.endive";

    /// <summary>How long a stored idempotency key is replayed, on the stand-in's clock. Defaults to 24 hours.</summary>
    public TimeSpan IdempotencyKeyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a meter event identifier stays unique (one table for v1 events and the v2 stream), from when the event was received, on the stand-in's clock. Defaults to 24 hours.</summary>
    public TimeSpan IdentifierUniquenessWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long the <c>authentication_token</c> of a v2 meter event session (<c>POST /v2/billing/meter_event_session</c>)
    /// authenticates <c>POST /v2/billing/meter_event_stream</c>, on the stand-in's clock. Defaults to 15 minutes, as on Stripe.
    /// <see cref="StripeStandIn.ExpireMeterEventSessions"/> ends every session early.
    /// </summary>
    public TimeSpan MeterEventSessionLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Whether errors produced once an endpoint began executing (an unknown customer, meter or subscription item, an
    /// inactive meter, a duplicate identifier, a usage record timestamp outside the current period) are stored under the
    /// request's <c>Idempotency-Key</c> and replayed, as Stripe does. Parameter validation errors (missing, unknown or
    /// malformed parameters, a timestamp outside the accepted window, a malformed value), 401 and 429 are never stored.
    /// Defaults to <see langword="true"/>.
    /// </summary>
    public bool ReplayEndpointErrors { get; set; } = true;
}
