namespace Gravity.Usage.Stripe;

/// <summary>How usage reports reach Stripe: the key, the API and version, retries, timeouts and pacing.</summary>
/// <remarks>
/// Validated when a Stripe sink is created; every failure is listed. The API key is a secret: it is sent only in the
/// <c>Authorization</c> header and never appears in a log line, an exception message, a validation message or
/// <see cref="ToString"/>.
/// </remarks>
public sealed class StripeOptions
{
    /// <summary>The Stripe API version sent with meter events by default.</summary>
    public const string DefaultApiVersion = "2026-10-28.endive";

    /// <summary>
    /// The Stripe API version sent with legacy usage records by default: the last one before usage records were
    /// removed (2025-03-31.basil), as the last Stripe SDKs with usage records sent it.
    /// </summary>
    public const string DefaultLegacyApiVersion = "2025-02-24.acacia";

    /// <summary>Gets or sets the Stripe secret key (<c>sk_…</c>) or restricted key (<c>rk_…</c>).</summary>
    /// <value>
    /// The default value is <see langword="null"/>; a key is required. A restricted key needs write access to billing
    /// meter events (or to usage records for the legacy API).
    /// </value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the base address of the Stripe API; tests point it at a local stand-in.</summary>
    /// <value>The default value is <c>https://api.stripe.com</c>. It must be an absolute http or https address.</value>
    public Uri ApiBase { get; set; } = new("https://api.stripe.com");

    /// <summary>Gets or sets the <c>Stripe-Version</c> sent with every meter event request.</summary>
    /// <value>The default value is <c>2026-10-28.endive</c> (<see cref="DefaultApiVersion"/>). Its form is <c>YYYY-MM-DD</c> or <c>YYYY-MM-DD.name</c>.</value>
    public string ApiVersion { get; set; } = DefaultApiVersion;

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
    /// Gets or sets how many times a request is retried after a connection error, a timeout, or an answer Stripe
    /// marks as retryable (409, 429, 5xx, <c>Stripe-Should-Retry: true</c>). Every retry carries the same
    /// <c>Idempotency-Key</c>.
    /// </summary>
    /// <value>The default value is 2 (three attempts in all). It must be between 0 and 10.</value>
    public int MaxNetworkRetries { get; set; } = 2;

    /// <summary>Gets or sets how long one attempt may take, from sending the request to reading the whole answer.</summary>
    /// <value>The default value is 30 seconds. It must be positive and at most 1 hour.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the most requests per second a sink sends; attempts beyond that wait for their turn. Stripe's
    /// basic limit is 100 requests per second in live mode and 25 in test mode; meter events have their own limit of
    /// 1,000 per second in live mode.
    /// </summary>
    /// <value>The default value is 100. It must be a finite number greater than 0; fractions are allowed.</value>
    public double MaxRequestsPerSecond { get; set; } = 100;

    /// <summary>
    /// Gets or sets the <see cref="System.Net.Http.HttpClient"/> to send requests with, such as one from
    /// <c>IHttpClientFactory</c>. Its base address, default headers and timeout are not used: every request carries an
    /// absolute address, its own headers, and <see cref="RequestTimeout"/>. The caller keeps ownership of it.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the sink creates and owns a client whose pooled connections are
    /// renewed every 5 minutes, and disposes it with the sink.
    /// </value>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Describes the options without the API key.</summary>
    /// <returns>The API, base address, versions and limits; the key only as set or missing.</returns>
    public override string ToString() =>
        FormattableString.Invariant(
            $"StripeOptions {{ Api = {Api}, ApiBase = {DescribeApiBase()}, ApiVersion = {ApiVersion}, LegacyApiVersion = {LegacyApiVersion}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(missing)" : "(set)")}, MaxNetworkRetries = {MaxNetworkRetries}, RequestTimeout = {RequestTimeout}, MaxRequestsPerSecond = {MaxRequestsPerSecond} }}");

    /// <summary>The base address without any user information, which could hold a secret.</summary>
    private string DescribeApiBase() =>
        ApiBase is { IsAbsoluteUri: true } uri
            ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)
            : "(relative or missing)";
}
