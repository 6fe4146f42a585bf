using global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>How usage reports reach Stripe: the client or key, the API, retries, timeouts and pacing.</summary>
/// <remarks>
/// Requests go through Stripe.net, which sends its pinned API version (<see cref="ApiVersion"/>) with every typed
/// request. Validated when a Stripe sink is created; every failure is listed. The API key is a secret: it is sent only
/// in the <c>Authorization</c> header and never appears in a log line, an exception message, a validation message or
/// <see cref="ToString"/>.
/// </remarks>
public sealed class StripeOptions
{
    /// <summary>
    /// The Stripe API version sent with legacy usage records by default: the last one before usage records were
    /// removed (2025-03-31.basil), as the last Stripe SDKs with usage records sent it.
    /// </summary>
    public const string DefaultLegacyApiVersion = "2025-02-24.acacia";

    /// <summary>Gets the <c>Stripe-Version</c> that Stripe.net pins and sends with meter events, adjustments and summaries.</summary>
    public static string ApiVersion => StripeConfiguration.ApiVersion;

    /// <summary>Gets or sets the Stripe secret key (<c>sk_…</c>) or restricted key (<c>rk_…</c>).</summary>
    /// <value>
    /// The default value is <see langword="null"/>; a key is required unless <see cref="Client"/> is set. A restricted
    /// key needs write access to billing meter events (or to usage records for the legacy API).
    /// </value>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets a Stripe.net client of the host's own (its key, HTTP client, proxy and Connect settings apply).
    /// When set, <see cref="ApiKey"/>, <see cref="ApiBase"/>, <see cref="HttpClient"/>, <see cref="MaxNetworkRetries"/>
    /// and <see cref="RequestTimeout"/> are not used: the client's own settings are.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the sink builds a client from the options. Legacy usage records
    /// and the v2 stream need a <see cref="global::Stripe.StripeClient"/> (its raw requests and v2 services are not on <see cref="IStripeClient"/>).
    /// </value>
    public IStripeClient? Client { get; set; }

    /// <summary>Gets or sets the base address of the Stripe API; tests point it at a local stand-in.</summary>
    /// <value>
    /// The default value is <c>https://api.stripe.com</c>. It must be an absolute http or https address without user
    /// information, query or fragment. The v2 meter event stream goes to <c>https://meter-events.stripe.com</c> while
    /// this is Stripe's own address, and to this address otherwise (a stand-in or proxy serves both).
    /// </value>
    public Uri ApiBase { get; set; } = new("https://api.stripe.com");

    /// <summary>Gets or sets which Stripe API usage reports are delivered through.</summary>
    /// <value>The default value is <see cref="StripeUsageApi.MeterEvents"/>.</value>
    public StripeUsageApi Api { get; set; } = StripeUsageApi.MeterEvents;

    /// <summary>Gets or sets the <c>Stripe-Version</c> sent with legacy usage record requests.</summary>
    /// <value>
    /// The default value is <c>2025-02-24.acacia</c> (<see cref="DefaultLegacyApiVersion"/>). Its date must be no later than
    /// 2025-02-24: Stripe removed usage records in 2025-03-31.basil.
    /// </value>
    public string LegacyApiVersion { get; set; } = DefaultLegacyApiVersion;

    /// <summary>
    /// Gets or sets how many times Stripe.net retries a request within one delivery after a connection error, a
    /// timeout, or an answer it may retry (409, 5xx, <c>Stripe-Should-Retry: true</c>). Every retry carries the same
    /// <c>Idempotency-Key</c>. What still fails is retried by later report runs.
    /// </summary>
    /// <value>The default value is 2 (three attempts in all). It must be between 0 and 10.</value>
    public int MaxNetworkRetries { get; set; } = 2;

    /// <summary>Gets or sets how long one attempt may take, from sending the request to reading the whole answer.</summary>
    /// <value>The default value is 30 seconds. It must be positive and at most 1 hour. Not used with <see cref="HttpClient"/> (its own timeout applies) or <see cref="Client"/>.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the most requests per second a sink starts (meter events, usage records, stream sessions); calls
    /// beyond that wait for their turn. Stripe's basic limit is 100 requests per second in live mode and 25 in test
    /// mode; v1 meter events have their own limit of 1,000 per second in live mode.
    /// </summary>
    /// <value>The default value is 100. It must be a finite number greater than 0; fractions are allowed.</value>
    public double MaxRequestsPerSecond { get; set; } = 100;

    /// <summary>
    /// Gets or sets the most events per second the v2 meter event stream sends (<see cref="StripeUsageApi.MeterEventStream"/>):
    /// a request of 100 events waits for 100 slots.
    /// </summary>
    /// <value>The default value is 10,000 (Stripe's live-mode stream limit). It must be a finite number greater than 0.</value>
    public double MaxStreamEventsPerSecond { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets the <see cref="System.Net.Http.HttpClient"/> that Stripe.net sends requests with, such as one from
    /// <c>IHttpClientFactory</c>. Its timeout applies to each attempt. The caller keeps ownership of it.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the sink creates and owns a client whose pooled connections are
    /// renewed every 5 minutes and whose timeout is <see cref="RequestTimeout"/>, and disposes it with the sink.
    /// </value>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Describes the options without the API key or anything that could hold a secret.</summary>
    /// <returns>The API, base address, versions and limits; the key only as set or missing.</returns>
    public override string ToString() =>
        FormattableString.Invariant(
            $"StripeOptions {{ Api = {Api}, Client = {(Client is null ? "(built from the options)" : "(the host's)")}, ApiBase = {DescribeApiBase()}, ApiVersion = {ApiVersion}, LegacyApiVersion = {StripeSecrets.Describe(LegacyApiVersion)}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(missing)" : "(set)")}, MaxNetworkRetries = {MaxNetworkRetries}, RequestTimeout = {RequestTimeout}, MaxRequestsPerSecond = {MaxRequestsPerSecond}, MaxStreamEventsPerSecond = {MaxStreamEventsPerSecond} }}");

    /// <summary>The address without user information, query or fragment, and without a path that looks like a pasted key.</summary>
    private string DescribeApiBase()
    {
        if (ApiBase is not { IsAbsoluteUri: true } uri)
        {
            return "(relative or missing)";
        }

        var path = uri.GetComponents(UriComponents.Path, UriFormat.UriEscaped);
        return uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped)
            + (path.Length == 0 ? string.Empty : StripeSecrets.LooksSecret(path) ? "/(path not shown)" : "/" + path);
    }
}
