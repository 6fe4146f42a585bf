using System.Reflection;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>
/// The Stripe.net client the sinks send with (the host's, or one built from <see cref="StripeOptions"/>), plus what
/// the SDK does not do: pacing to a rate and scrubbing the key out of text that came back.
/// </summary>
internal sealed class StripeTransport : IDisposable
{
    private const string StripeApiHost = "api.stripe.com";

    private readonly HttpClient? _ownedHttp;
    private readonly string? _apiKey;

    /// <summary>Initializes a new instance of the <see cref="StripeTransport"/> class.</summary>
    /// <param name="options">The options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock of the pacing; real time in production.</param>
    /// <param name="instruments">Where Stripe calls are measured; the shared instruments when <see langword="null"/>.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeTransport(StripeOptions options, TimeProvider timeProvider, UsageInstruments? instruments = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var validation = new StripeOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(StripeOptions), validation.Failures);
        }

        Instruments = instruments ?? UsageInstruments.Shared;
        Api = options.Api;
        LegacyApiVersion = options.LegacyApiVersion;
        // Stripe.net times each attempt out only through the HttpClient; a host's client may have no timeout at all, so
        // every call is also capped: each attempt its RequestTimeout, plus Stripe.net's longest back-off between them.
        CallTimeout = (options.RequestTimeout * (options.MaxNetworkRetries + 1)) + (StripeNet.SystemNetHttpClient.MaxNetworkRetriesDelay * options.MaxNetworkRetries);
        RequestPacer = new StripePacer(options.MaxRequestsPerSecond, timeProvider);
        EventPacer = new StripePacer(options.MaxStreamEventsPerSecond, timeProvider);
        if (options.Client is { } hostClient)
        {
            Client = hostClient;
            _apiKey = hostClient.ApiKey;
        }
        else
        {
            var http = options.HttpClient;
            if (http is null)
            {
                _ownedHttp = http = new HttpClient(
                    new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false },
                    disposeHandler: true)
                {
                    Timeout = options.RequestTimeout,
                };
            }

            _apiKey = options.ApiKey;
            var apiBase = options.ApiBase.AbsoluteUri.TrimEnd('/');
            Client = new StripeNet.StripeClient(new StripeNet.StripeClientOptions
            {
                ApiKey = options.ApiKey,
                ApiBase = apiBase,
                // Stripe serves the stream from its own host; a stand-in or proxy at another address serves both.
                MeterEventsBase = string.Equals(options.ApiBase.Host, StripeApiHost, StringComparison.OrdinalIgnoreCase) ? null : apiBase,
                HttpClient = new StripeNet.SystemNetHttpClient(
                    http,
                    options.MaxNetworkRetries,
                    new StripeNet.AppInfo { Name = "Gravity.Usage", Version = Version },
                    enableTelemetry: false),
            });
        }

        MeterEvents = new StripeNet.Billing.MeterEventService(Client);
        // Validated at start: the stream and legacy usage records always have a Stripe.StripeClient (the v2 services
        // and raw requests are not on IStripeClient).
        if (Client is StripeNet.StripeClient concrete)
        {
            Concrete = concrete;
        }
    }

    /// <summary>Gets the instruments Stripe calls are measured on.</summary>
    public UsageInstruments Instruments { get; }

    /// <summary>Gets the API the options chose.</summary>
    public StripeUsageApi Api { get; }

    /// <summary>Gets the client every request goes through.</summary>
    public StripeNet.IStripeClient Client { get; }

    /// <summary>Gets the <c>Stripe-Version</c> for legacy usage records.</summary>
    public string LegacyApiVersion { get; }

    /// <summary>Gets the longest one Stripe call (all of Stripe.net's attempts) may take.</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>Gets the pacing of requests (meter events, usage records, stream sessions).</summary>
    public StripePacer RequestPacer { get; }

    /// <summary>Gets the pacing of stream events.</summary>
    public StripePacer EventPacer { get; }

    /// <summary>Gets the v1 meter event service.</summary>
    public StripeNet.Billing.MeterEventService MeterEvents { get; }

    /// <summary>Gets the v2 meter event session service.</summary>
    public StripeNet.V2.Billing.MeterEventSessionService StreamSessions => Concrete.V2.Billing.MeterEventSession;

    /// <summary>Gets the v2 meter event stream service.</summary>
    public StripeNet.V2.Billing.MeterEventStreamService Stream => Concrete.V2.Billing.MeterEventStream;

    /// <summary>Gets the client as a <see cref="StripeNet.StripeClient"/>, for the v2 services and raw requests.</summary>
    public StripeNet.StripeClient Concrete { get => field ?? throw new InvalidOperationException("This Stripe API needs a Stripe.StripeClient."); private set; }

    /// <summary>This library's version, for Stripe.net's application info in the user agent.</summary>
    internal static string Version { get; } = GetVersion();

    /// <summary>
    /// A token for one Stripe call: the caller's, cancelled also when <see cref="CallTimeout"/> runs out. A call cut
    /// off that way is a transient failure ("did not answer in time"), since the caller did not cancel.
    /// </summary>
    public CancellationTokenSource LimitCall(CancellationToken cancellationToken)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(CallTimeout);
        return limit;
    }

    /// <summary>Removes the API key from text that came from the other side.</summary>
    public string? Redact(string? text) => StripeSecrets.Redact(text, _apiKey);

    /// <summary>Disposes the HTTP client when this transport created it.</summary>
    public void Dispose() => _ownedHttp?.Dispose();

    private static string GetVersion()
    {
        var assembly = typeof(StripeTransport).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
