using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Sends form-encoded requests to Stripe's v1 API with the key, an explicit <c>Stripe-Version</c>, one
/// <c>Idempotency-Key</c> for every attempt, a per-attempt timeout, retries with jittered exponential back-off, and
/// client-side pacing shared by all of its requests.
/// </summary>
/// <remarks>
/// One client per <see cref="StripeOptions"/>; the options are copied when it is created. It disposes the
/// <see cref="HttpClient"/> only when it created it.
/// </remarks>
internal sealed partial class StripeClient : IDisposable
{
    internal const string FormContentType = "application/x-www-form-urlencoded";

    /// <summary>Stripe keeps idempotency keys of at most 255 characters.</summary>
    internal const int MaxIdempotencyKeyLength = 255;

    internal static readonly TimeSpan InitialRetryDelay = TimeSpan.FromSeconds(0.5);

    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The longest <c>Retry-After</c> honoured within one call; longer waits are left to the caller.</summary>
    internal static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    internal static readonly string UserAgent = "Gravity.Usage/" + GetVersion();

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _apiKey;
    private readonly string _apiBase;
    private readonly int _maxAttempts;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Func<TimeSpan, CancellationToken, Task> _wait;
    private readonly Func<double> _random;
    private readonly Lock _paceLock = new();
    private DateTimeOffset _nextSlot = DateTimeOffset.MinValue;

    /// <summary>Initializes a new instance of the <see cref="StripeClient"/> class.</summary>
    /// <param name="options">The options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock for timeouts, back-off and pacing.</param>
    /// <param name="logger">Where failed attempts are logged.</param>
    /// <param name="wait">Waits out a back-off or a pacing delay; <c>Task.Delay</c> on <paramref name="timeProvider"/> when <see langword="null"/>.</param>
    /// <param name="random">Returns a number in [0, 1) for the back-off jitter; <see cref="Random.Shared"/> when <see langword="null"/>.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeClient(
        StripeOptions options,
        TimeProvider timeProvider,
        ILogger logger,
        Func<TimeSpan, CancellationToken, Task>? wait = null,
        Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new StripeOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(StripeOptions), validation.Failures);
        }

        _apiKey = options.ApiKey!;
        _apiBase = options.ApiBase.AbsoluteUri.TrimEnd('/');
        ApiVersion = options.ApiVersion;
        LegacyApiVersion = options.LegacyApiVersion;
        _maxAttempts = options.MaxNetworkRetries + 1;
        _timeout = options.RequestTimeout;
        _interval = TimeSpan.FromTicks((long)Math.Min(TimeSpan.TicksPerSecond / options.MaxRequestsPerSecond, TimeSpan.TicksPerDay));
        _timeProvider = timeProvider;
        _logger = logger;
        _wait = wait ?? ((delay, cancellationToken) => Task.Delay(delay, timeProvider, cancellationToken));
        _random = random ?? Random.Shared.NextDouble;
        if (options.HttpClient is { } http)
        {
            _http = http;
        }
        else
        {
            _ownsHttp = true;
            _http = new HttpClient(
                new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false },
                disposeHandler: true)
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
        }
    }

    /// <summary>Gets the <c>Stripe-Version</c> for meter events.</summary>
    public string ApiVersion { get; }

    /// <summary>Gets the <c>Stripe-Version</c> for legacy usage records.</summary>
    public string LegacyApiVersion { get; }

    /// <summary>Whether a string can be sent as an <c>Idempotency-Key</c> (or a meter event identifier): visible ASCII, 1 to <paramref name="maxLength"/> characters.</summary>
    public static bool IsValidKey(string? key, int maxLength)
    {
        if (string.IsNullOrEmpty(key) || key.Length > maxLength)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>POSTs a form, retrying transient failures with the same idempotency key.</summary>
    /// <param name="path">The path, such as <c>/v1/billing/meter_events</c>.</param>
    /// <param name="form">The parameters, in the order they are sent.</param>
    /// <param name="idempotencyKey">The <c>Idempotency-Key</c>, sent unchanged with every attempt.</param>
    /// <param name="apiVersion">The <c>Stripe-Version</c>.</param>
    /// <param name="cancellationToken">Ends the call at once, also during a back-off; unlike a timeout, it is never retried.</param>
    /// <returns>Stripe's successful answer.</returns>
    /// <exception cref="StripeException">Stripe refused the request, or every attempt failed.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public Task<StripeResponse> PostFormAsync(
        string path,
        IReadOnlyList<KeyValuePair<string, string>> form,
        string idempotencyKey,
        string apiVersion,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        if (!IsValidKey(idempotencyKey, MaxIdempotencyKeyLength))
        {
            throw new ArgumentException(
                "An idempotency key must be 1 to 255 visible ASCII characters.", nameof(idempotencyKey));
        }

        return SendAsync(HttpMethod.Post, path, StripeFormEncoder.Encode(form), idempotencyKey, apiVersion, cancellationToken);
    }

    /// <summary>GETs a resource, with the query encoded like a form; retried like a POST.</summary>
    public Task<StripeResponse> GetAsync(
        string path,
        IReadOnlyList<KeyValuePair<string, string>> query,
        string apiVersion,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pathAndQuery = query.Count == 0 ? path : path + "?" + StripeFormEncoder.Encode(query);
        return SendAsync(HttpMethod.Get, pathAndQuery, null, null, apiVersion, cancellationToken);
    }

    /// <summary>Disposes the HTTP client when this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>The back-off before retry <paramref name="retry"/> (1 for the first): exponential, jittered, at least 0.5 s, raised to <c>Retry-After</c> (at most 60 s).</summary>
    internal TimeSpan RetryDelay(int retry, TimeSpan? retryAfter)
    {
        var seconds = Math.Min(InitialRetryDelay.TotalSeconds * Math.Pow(2, retry - 1), MaxRetryDelay.TotalSeconds);
        seconds *= 0.5 + (0.5 * Math.Clamp(_random(), 0.0, 1.0));
        var delay = TimeSpan.FromSeconds(Math.Max(seconds, InitialRetryDelay.TotalSeconds));
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked < MaxRetryAfter ? asked : MaxRetryAfter;
        }

        return delay;
    }

    private async Task<StripeResponse> SendAsync(
        HttpMethod method,
        string pathAndQuery,
        string? body,
        string? idempotencyKey,
        string apiVersion,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathAndQuery);
        ArgumentException.ThrowIfNullOrEmpty(apiVersion);
        if (pathAndQuery[0] != '/')
        {
            throw new ArgumentException("The path must start with '/'.", nameof(pathAndQuery));
        }

        var uri = new Uri(_apiBase + pathAndQuery, UriKind.Absolute);
        var queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? pathAndQuery : pathAndQuery[..queryStart];
        for (var attempt = 1; ; attempt++)
        {
            await PaceAsync(cancellationToken).ConfigureAwait(false);
            var result = await AttemptAsync(method, uri, body, idempotencyKey, apiVersion, cancellationToken).ConfigureAwait(false);
            if (result.StatusCode is >= 200 and < 300)
            {
                return new StripeResponse(result.StatusCode.Value, result.Body ?? string.Empty, result.RequestId, result.Replayed, attempt);
            }

            var retryable = result.ShouldRetryHeader ?? (result.StatusCode is null or 409 or 429 or >= 500);
            if (!retryable || attempt >= _maxAttempts)
            {
                throw CreateException(method.Method, path, result, retryable, attempt);
            }

            var delay = RetryDelay(attempt, result.RetryAfter);
            if (result.StatusCode is { } status)
            {
                LogAnswerRetried(_logger, attempt, _maxAttempts, method.Method, path, status, result.Error.Type, result.Error.Code, result.RequestId, delay.TotalMilliseconds);
            }
            else
            {
                LogFailureRetried(_logger, result.Failure, attempt, _maxAttempts, method.Method, path, DescribeFailure(result), delay.TotalMilliseconds);
            }

            await _wait(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for this request's turn: slots are <c>1 / MaxRequestsPerSecond</c> apart, shared by every request of the client.</summary>
    private async Task PaceAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_paceLock)
        {
            var now = _timeProvider.GetUtcNow();
            var slot = _nextSlot > now ? _nextSlot : now;
            _nextSlot = slot + _interval;
            wait = slot - now;
        }

        if (wait > TimeSpan.Zero)
        {
            await _wait(wait, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task<AttemptResult> AttemptAsync(
        HttpMethod method,
        Uri uri,
        string? body,
        string? idempotencyKey,
        string apiVersion,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        request.Headers.TryAddWithoutValidation("Stripe-Version", apiVersion);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(FormContentType);
        }

        using var timeout = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var headers = response.Headers;
            return new AttemptResult
            {
                StatusCode = status,
                Body = text,
                RequestId = Redact(Header(headers, "Request-Id")),
                Replayed = string.Equals(Header(headers, "Idempotent-Replayed"), "true", StringComparison.OrdinalIgnoreCase),
                ShouldRetryHeader = Header(headers, "Stripe-Should-Retry")?.Trim().ToUpperInvariant() switch
                {
                    "TRUE" => true,
                    "FALSE" => false,
                    _ => null,
                },
                RetryAfter = ReadRetryAfter(headers),
                Error = status is >= 200 and < 300 ? default : ParseError(text),
            };
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The caller did not cancel: this attempt's own timeout (or the host HttpClient's) ran out.
            return new AttemptResult { TimedOut = true, Failure = exception };
        }
        catch (HttpRequestException exception)
        {
            return new AttemptResult { Failure = exception };
        }
        catch (IOException exception)
        {
            return new AttemptResult { Failure = exception };
        }
    }

    private StripeException CreateException(string method, string path, AttemptResult result, bool transient, int attempts)
    {
        if (result.StatusCode is { } status)
        {
            var error = result.Error;
            return new StripeException(
                StripeException.DescribeRefusal(method, path, status, error.Type, error.Code, error.Param, result.RequestId, attempts, error.Message))
            {
                StatusCode = status,
                Type = error.Type,
                Code = error.Code,
                Param = error.Param,
                DocUrl = error.DocUrl,
                StripeMessage = error.Message,
                RequestId = result.RequestId,
                Method = method,
                Path = path,
                IsTransient = transient,
                IdempotentReplayed = result.Replayed,
                RetryAfter = result.RetryAfter,
                Attempts = attempts,
            };
        }

        var message = result.TimedOut
            ? Invariant($"Stripe did not answer {method} {path} within {_timeout.TotalSeconds:0.###} s ({Attempts(attempts)}).")
            : Invariant($"Stripe could not be reached for {method} {path} ({Attempts(attempts)}): {Redact(result.Failure?.Message)}");
        return new StripeException(message, result.TimedOut ? new TimeoutException(message, result.Failure) : result.Failure)
        {
            Method = method,
            Path = path,
            IsTransient = true,
            Attempts = attempts,
        };
    }

    private StripeError ParseError(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return default;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error)
                || error.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            return new StripeError(
                Redact(Text(error, "type")),
                Redact(Text(error, "code")),
                Redact(Text(error, "message")),
                Redact(Text(error, "param")),
                Redact(Text(error, "doc_url")));
        }
        catch (JsonException)
        {
            return default;
        }

        static string? Text(JsonElement error, string name) =>
            error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>Removes the API key from text that came from the other side, in case a stand-in or proxy echoes it.</summary>
    private string? Redact(string? text) =>
        text is null || !text.Contains(_apiKey, StringComparison.Ordinal) ? text : text.Replace(_apiKey, "[redacted key]", StringComparison.Ordinal);

    private TimeSpan? ReadRetryAfter(HttpResponseHeaders headers)
    {
        if (headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter.Date is { } date)
        {
            var wait = date - _timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private string DescribeFailure(AttemptResult result) =>
        result.TimedOut
            ? Invariant($"no answer within {_timeout.TotalSeconds:0.###} s")
            : "connection error: " + Redact(result.Failure?.Message);

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string Attempts(int attempts) => attempts == 1 ? "1 attempt" : Invariant($"{attempts} attempts");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string GetVersion()
    {
        var assembly = typeof(StripeClient).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Stripe attempt {Attempt} of {MaxAttempts} for {Method} {Path} failed with status {Status} ({ErrorType}/{ErrorCode}, request {RequestId}); retrying in {DelayMs} ms.")]
    private static partial void LogAnswerRetried(ILogger logger, int attempt, int maxAttempts, string method, string path, int status, string? errorType, string? errorCode, string? requestId, double delayMs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Stripe attempt {Attempt} of {MaxAttempts} for {Method} {Path} failed: {Reason}; retrying in {DelayMs} ms.")]
    private static partial void LogFailureRetried(ILogger logger, Exception? exception, int attempt, int maxAttempts, string method, string path, string reason, double delayMs);

    /// <summary>Stripe's error object: <c>{"error":{"type","code","message","param","doc_url"}}</c>.</summary>
    private readonly record struct StripeError(string? Type, string? Code, string? Message, string? Param, string? DocUrl);

    /// <summary>What one attempt came to: an answer (status and body) or a failure (connection error, timeout).</summary>
    private readonly record struct AttemptResult
    {
        public int? StatusCode { get; init; }

        public string? Body { get; init; }

        public string? RequestId { get; init; }

        public bool Replayed { get; init; }

        public bool? ShouldRetryHeader { get; init; }

        public TimeSpan? RetryAfter { get; init; }

        public StripeError Error { get; init; }

        public bool TimedOut { get; init; }

        public Exception? Failure { get; init; }
    }
}
