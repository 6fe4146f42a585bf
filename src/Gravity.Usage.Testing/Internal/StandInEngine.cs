using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>
/// The transport-neutral core: one request in, one answer out. Order of processing: fault rule selection; a fault
/// timed <see cref="FaultTiming.BeforeProcessing"/>; routing (404); authentication (401: an API key, or a meter event
/// session token on the v2 stream); API version; parameter decoding and validation (form on v1, JSON on v2; 400, not
/// stored); the idempotency layer (replay / 400 idempotency_error / 409 in flight / reserve);
/// <see cref="StripeStandInOptions.ResponseDelay"/> and a fault timed <see cref="FaultTiming.DuringProcessing"/>; the
/// endpoint under the state lock; storing the answer; a fault timed <see cref="FaultTiming.AfterProcessing"/>; on
/// <c>/v2/</c> paths, errors reshaped into the v2 envelope (<see cref="V2Errors"/>).
/// </summary>
internal sealed class StandInEngine : IDisposable
{
    internal static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string[] KeyPrefixes = ["sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_"];

    private readonly Lock _sync = new();
    private readonly StripeStandInOptions _options;
    private readonly CancellationTokenSource _disposing = new();
    private readonly List<RequestLogEntry> _log = [];
    private readonly Dictionary<string, int> _attemptsByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IdempotencyEntry> _idempotency = new(StringComparer.Ordinal);
    private readonly Queue<IdempotencyEntry> _idempotencyOrder = new();

    public StandInEngine(StripeStandInOptions options)
    {
        _options = options;
        Ledger = new Ledger(options);
        Faults = new StripeStandInFaults(options.FaultSeed);
    }

    /// <summary>The state; only touch it under <see cref="Sync"/>.</summary>
    public Ledger Ledger { get; }

    public StripeStandInFaults Faults { get; }

    public Lock Sync => _sync;

    public DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    public int RequestCount
    {
        get
        {
            lock (_sync)
            {
                return _log.Count;
            }
        }
    }

    public void Dispose()
    {
        // Cancelled, never disposed: requests still running read its token after disposal.
        _disposing.Cancel();
    }

    public IReadOnlyList<RecordedRequest> SnapshotRequests()
    {
        lock (_sync)
        {
            return _log.Select(e => e.Snapshot()).ToList();
        }
    }

    public int CountRequests(string? method, string pathPrefix)
    {
        lock (_sync)
        {
            return _log.Count(e =>
                (method is null || method == "*" || string.Equals(e.Method, method, StringComparison.OrdinalIgnoreCase))
                && e.Path.StartsWith(pathPrefix, StringComparison.Ordinal));
        }
    }

    public int CountIdempotencyKeyAttempts(string key)
    {
        lock (_sync)
        {
            return _attemptsByKey.GetValueOrDefault(key);
        }
    }

    /// <summary>Whether a request holding this Idempotency-Key is between reservation and stored answer (for tests of the 409).</summary>
    public bool IsIdempotencyKeyInFlight(string key)
    {
        lock (_sync)
        {
            return _idempotency.TryGetValue(key, out var entry) && entry.InFlight;
        }
    }

    public void ClearRequests()
    {
        lock (_sync)
        {
            _log.Clear();
            _attemptsByKey.Clear();
        }
    }

    public async Task<StandInResponse> ProcessAsync(StandInRequest request, CancellationToken requestAborted)
    {
        var requestId = NewRequestId();
        var key = request.Header("Idempotency-Key");
        var rule = Faults.Select(request.Method, request.Path);
        var entry = new RequestLogEntry(request, requestId, Now, rule);
        lock (_sync)
        {
            _log.Add(entry);
            if (key is not null)
            {
                _attemptsByKey[key] = _attemptsByKey.GetValueOrDefault(key) + 1;
            }
        }

        StandInResponse response;
        try
        {
            response = _disposing.IsCancellationRequested
                ? StandInResponse.Dropped
                : await RunAsync(request, requestId, entry, rule, requestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            response = StandInResponse.Dropped;
        }
        catch (ObjectDisposedException)
        {
            response = StandInResponse.Dropped;
        }

        if (V2Errors.IsV2Path(request.Path))
        {
            response = V2Errors.Adapt(response);
        }

        lock (_sync)
        {
            entry.Complete(response, requestAborted.IsCancellationRequested);
        }

        return response;
    }

    private async Task<StandInResponse> RunAsync(StandInRequest request, string requestId, RequestLogEntry entry, StripeFaultRule? rule, CancellationToken requestAborted)
    {
        var fault = rule?.Fault;
        var timing = rule?.Timing;
        if (fault is not null && timing == FaultTiming.BeforeProcessing)
        {
            switch (fault.Kind)
            {
                case StripeFaultKind.Status:
                    return FaultResponse(fault, request, requestId);
                case StripeFaultKind.DropConnection:
                    return StandInResponse.Dropped;
                case StripeFaultKind.Timeout:
                    return await HoldAsync(fault.Duration, requestAborted).ConfigureAwait(false);
                default:
                    await Task.Delay(fault.Duration, _disposing.Token).ConfigureAwait(false);
                    if (requestAborted.IsCancellationRequested)
                    {
                        return StandInResponse.Abandoned;
                    }

                    break;
            }
        }

        var during = timing == FaultTiming.DuringProcessing && fault!.Kind != StripeFaultKind.DropConnection ? fault : null;
        var (response, held) = await ExecuteAsync(request, requestId, entry, during, requestAborted).ConfigureAwait(false);
        if (held is not null)
        {
            return held;
        }

        var after = timing == FaultTiming.AfterProcessing || (timing == FaultTiming.DuringProcessing && fault!.Kind == StripeFaultKind.DropConnection);
        if (fault is not null && after)
        {
            switch (fault.Kind)
            {
                case StripeFaultKind.Status:
                    return FaultResponse(fault, request, requestId);
                case StripeFaultKind.DropConnection:
                    return StandInResponse.Dropped;
                case StripeFaultKind.Timeout:
                    return await HoldAsync(fault.Duration, requestAborted).ConfigureAwait(false);
                default:
                    await Task.Delay(fault.Duration, _disposing.Token).ConfigureAwait(false);
                    break;
            }
        }

        return response;
    }

    /// <summary>Routing, auth, validation, idempotency and the endpoint. Returns the answer, and a replacement when a timeout fault held the request.</summary>
    private async Task<(StandInResponse Response, StandInResponse? Held)> ExecuteAsync(StandInRequest request, string requestId, RequestLogEntry entry, StripeFault? during, CancellationToken requestAborted)
    {
        var headers = BaseHeaders(request, requestId);
        var route = Routes.Match(request.Method, request.Path, out var routeValues);
        if (route is null)
        {
            return (Respond(404, StripeErrors.Body(StripeErrors.InvalidRequest, $"Unrecognized request URL ({request.Method}: {request.Path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."), headers), null);
        }

        if ((route.SessionAuth ? AuthenticateSession(request) : Authenticate(request)) is { } authError)
        {
            // The stream takes a bearer session token only; everything else also takes an API key over Basic auth.
            headers.Add(new("WWW-Authenticate", route.SessionAuth ? "Bearer realm=\"Stripe\"" : "Basic realm=\"Stripe\""));
            return (Respond(authError.StatusCode, authError.ToBody(), headers), null);
        }

        var version = request.Header("Stripe-Version") ?? _options.DefaultApiVersion;
        if (!IsApiVersion(version))
        {
            return (Respond(400, StripeErrors.Body(StripeErrors.InvalidRequest, $"Invalid Stripe API version: {version}. Versions look like 2026-10-28.endive."), headers), null);
        }

        if (route.LegacyUsageRecords && string.CompareOrdinal(version[..10], Ledger.UsageRecordsRemovedIn) >= 0)
        {
            return (Respond(400, StripeErrors.Body(
                StripeErrors.InvalidRequest,
                $"Usage records are not available on API version {version}: legacy usage-based billing was removed in 2025-03-31.basil. Use Billing Meters, or send Stripe-Version 2025-02-24.acacia or earlier for subscriptions still on legacy metered prices."),
                headers), null);
        }

        FormNode parameters;
        JsonObject? json = null;
        string fingerprint;
        try
        {
            if (route.V2 && request.Method != "GET")
            {
                json = JsonBody.Parse(request);
                JsonBody.Validate(json, route.Parameters);
                parameters = FormNode.EmptyMap();
                fingerprint = JsonBody.Fingerprint(json);
            }
            else
            {
                parameters = ParseParameters(request);
                Parameters.Validate(parameters, route.Parameters);
                fingerprint = parameters.Fingerprint();
            }
        }
        catch (StripeErrorException e)
        {
            return (Respond(e.StatusCode, e.ToBody(), headers), null);
        }

        var key = request.Method == "POST" ? request.Header("Idempotency-Key") : null;
        IdempotencyEntry? reservation = null;
        if (key is not null)
        {
            if (key.Length > 255)
            {
                return (Respond(400, StripeErrors.Body(StripeErrors.InvalidRequest, "Invalid Idempotency-Key: must be at most 255 characters."), headers), null);
            }

            lock (_sync)
            {
                var now = Now;
                PruneIdempotency(now);
                if (_idempotency.TryGetValue(key, out var existing) && !existing.InFlight && now - existing.CreatedAt >= _options.IdempotencyKeyRetention)
                {
                    _idempotency.Remove(key);
                    existing = null;
                }

                if (existing is not null)
                {
                    if (existing.InFlight)
                    {
                        return (Respond(409, StripeErrors.Body(
                            StripeErrors.Idempotency,
                            $"There is currently another in-progress request using this Idempotency-Key ('{key}'). Please try again later.",
                            "idempotency_key_in_use"), headers), null);
                    }

                    if (existing.Method != request.Method || existing.Path != request.Path)
                    {
                        return (Respond(400, StripeErrors.Body(
                            StripeErrors.Idempotency,
                            $"Keys for idempotent requests can only be used for the same endpoint they were first used for ('{existing.Method} {existing.Path}' vs '{request.Method} {request.Path}'). Try using a key other than '{key}' if you meant to execute a different request."), headers), null);
                    }

                    if (existing.Fingerprint != fingerprint)
                    {
                        return (Respond(400, StripeErrors.Body(
                            StripeErrors.Idempotency,
                            $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."), headers), null);
                    }

                    entry.IsReplay = true;
                    headers.Add(new("Idempotent-Replayed", "true"));
                    headers.Add(new("Original-Request", existing.RequestId));
                    return (new StandInResponse { StatusCode = existing.Status, Body = existing.Body!, Headers = headers }, null);
                }

                reservation = new IdempotencyEntry(key, request.Method, request.Path, fingerprint, requestId, now);
                _idempotency[key] = reservation;
                _idempotencyOrder.Enqueue(reservation);
            }
        }

        EndpointResult result;
        StandInResponse? held = null;
        try
        {
            if (_options.ResponseDelay > TimeSpan.Zero)
            {
                await Task.Delay(_options.ResponseDelay, _disposing.Token).ConfigureAwait(false);
            }

            switch (during?.Kind)
            {
                case StripeFaultKind.Delay:
                    await Task.Delay(during.Duration, _disposing.Token).ConfigureAwait(false);
                    break;
                case StripeFaultKind.Timeout:
                    // Stripe keeps working after the client gave up: the endpoint still runs below.
                    held = await HoldAsync(during.Duration, requestAborted).ConfigureAwait(false);
                    _disposing.Token.ThrowIfCancellationRequested();
                    break;
            }

            if (during?.Kind == StripeFaultKind.Status)
            {
                result = new EndpointResult(during.StatusCode, FaultBody(during), Storable: true);
                AddShouldRetry(headers, during);
            }
            else
            {
                lock (_sync)
                {
                    var context = new EndpointContext
                    {
                        Params = parameters,
                        Json = json,
                        RouteValues = routeValues,
                        Now = Now,
                        RequestId = requestId,
                        IdempotencyKey = key,
                        Url = request.Path,
                    };
                    result = Invoke(route, context);
                }
            }
        }
        catch
        {
            if (reservation is not null)
            {
                lock (_sync)
                {
                    Release(reservation);
                }
            }

            throw;
        }

        var body = result.Body.ToJsonString(JsonOptions);
        if (reservation is not null)
        {
            lock (_sync)
            {
                var store = result.Storable && (result.Status < 400 || result.Status >= 500 || _options.ReplayEndpointErrors);
                if (store)
                {
                    reservation.Complete(result.Status, body);
                }
                else
                {
                    Release(reservation);
                }
            }
        }

        return (new StandInResponse { StatusCode = result.Status, Body = body, Headers = headers }, held);
    }

    private EndpointResult Invoke(RouteDefinition route, EndpointContext context)
    {
        try
        {
            return route.Handler(Ledger, context);
        }
        catch (StripeErrorException e)
        {
            return EndpointResult.FromError(e);
        }
#pragma warning disable CA1031 // A bug in the stand-in becomes a 500 the test can see, never a hung request.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new EndpointResult(500, StripeErrors.Body(StripeErrors.Api, $"The Stripe stand-in failed: {e.GetType().Name}: {e.Message}"), Storable: false);
        }
    }

    private async Task<StandInResponse> HoldAsync(TimeSpan maxHold, CancellationToken requestAborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _disposing.Token);
        try
        {
            await Task.Delay(maxHold, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return requestAborted.IsCancellationRequested ? StandInResponse.Abandoned : StandInResponse.Dropped;
        }

        return StandInResponse.Dropped;
    }

    private StripeErrorException? Authenticate(StandInRequest request)
    {
        var header = request.Header("Authorization");
        if (string.IsNullOrWhiteSpace(header))
        {
            return new StripeErrorException(
                401,
                StripeErrors.InvalidRequest,
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
                null,
                null,
                storable: false);
        }

        string? key = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = header[7..].Trim();
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                key = colon < 0 ? decoded : decoded[..colon];
            }
            catch (FormatException)
            {
                key = null;
            }
        }

        if (string.IsNullOrEmpty(key))
        {
            return new StripeErrorException(
                401,
                StripeErrors.InvalidRequest,
                "Invalid API Key provided: the Authorization header must be 'Bearer <secret key>' or HTTP Basic auth with the key as the username and an empty password.",
                null,
                null,
                storable: false);
        }

        return _options.AcceptApiKey(key)
            ? null
            : new StripeErrorException(401, StripeErrors.InvalidRequest, $"Invalid API Key provided: {MaskKey(key)}", null, null, storable: false);
    }

    /// <summary>
    /// Authentication of the meter event stream: <c>Authorization: Bearer &lt;meter event session token&gt;</c>. An API
    /// key is refused like an unknown token (the stream never accepts one); an expired token gets the v2
    /// <c>temporary_session_expired</c> error, the one clients renew their session on.
    /// </summary>
    private StripeErrorException? AuthenticateSession(StandInRequest request)
    {
        var header = request.Header("Authorization");
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (string.IsNullOrEmpty(token))
        {
            return new StripeErrorException(
                401,
                StripeErrors.InvalidRequest,
                "You did not provide a meter event session token. Send 'Authorization: Bearer <authentication_token>' with the token from POST /v2/billing/meter_event_session.",
                null,
                null,
                storable: false);
        }

        SessionTokenState state;
        lock (_sync)
        {
            state = Ledger.CheckSessionToken(token, Now);
        }

        return state switch
        {
            SessionTokenState.Valid => null,
            SessionTokenState.Expired => V2Errors.SessionExpired(),
            _ => new StripeErrorException(
                401,
                StripeErrors.InvalidRequest,
                _options.AcceptApiKey(token)
                    ? "The meter event stream does not accept API keys: authenticate with the authentication_token of a meter event session (POST /v2/billing/meter_event_session)."
                    : $"Invalid meter event session token provided: {MaskKey(token)}",
                null,
                null,
                storable: false),
        };
    }

    /// <summary>Masks an API key for an error message: the well-known prefix and at most the last 4 characters of a long key.</summary>
    internal static string MaskKey(string key)
    {
        var prefix = KeyPrefixes.FirstOrDefault(p => key.StartsWith(p, StringComparison.Ordinal)) ?? string.Empty;
        var rest = key[prefix.Length..];
        return rest.Length >= 12
            ? prefix + new string('*', rest.Length - 4) + rest[^4..]
            : prefix + new string('*', Math.Max(rest.Length, 4));
    }

    private static bool IsApiVersion(string version)
    {
        if (version.Length < 10 || (version.Length > 10 && version[10] != '.'))
        {
            return false;
        }

        for (var i = 0; i < 10; i++)
        {
            var ok = i is 4 or 7 ? version[i] == '-' : char.IsAsciiDigit(version[i]);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static FormNode ParseParameters(StandInRequest request)
    {
        if (request.Method != "POST")
        {
            return FormNode.Parse(request.Query);
        }

        if (request.Body.Length == 0)
        {
            return FormNode.EmptyMap();
        }

        var contentType = request.Header("Content-Type");
        if (contentType is null || !contentType.TrimStart().StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            throw StripeErrors.Invalid(
                null,
                $"Invalid request: unsupported Content-Type {contentType ?? "(none)"}. v1 requests must be application/x-www-form-urlencoded.");
        }

        return FormNode.Parse(request.Body);
    }

    private List<KeyValuePair<string, string>> BaseHeaders(StandInRequest request, string requestId)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Request-Id", requestId),
            new("Stripe-Version", request.Header("Stripe-Version") ?? _options.DefaultApiVersion),
        };
        if (request.Method == "POST" && request.Header("Idempotency-Key") is { } key)
        {
            headers.Add(new("Idempotency-Key", key));
        }

        return headers;
    }

    private StandInResponse FaultResponse(StripeFault fault, StandInRequest request, string requestId)
    {
        var headers = BaseHeaders(request, requestId);
        AddShouldRetry(headers, fault);
        return Respond(fault.StatusCode, FaultBody(fault), headers);
    }

    private static void AddShouldRetry(List<KeyValuePair<string, string>> headers, StripeFault fault)
    {
        if (fault.ShouldRetry is { } shouldRetry)
        {
            headers.Add(new("Stripe-Should-Retry", shouldRetry ? "true" : "false"));
        }
    }

    private static JsonObject FaultBody(StripeFault fault) => StripeErrors.Body(fault.ErrorType!, fault.Message!, fault.ErrorCode);

    private static StandInResponse Respond(int status, JsonNode body, List<KeyValuePair<string, string>> headers) =>
        new() { StatusCode = status, Body = body.ToJsonString(JsonOptions), Headers = headers };

    private void PruneIdempotency(DateTimeOffset now)
    {
        while (_idempotencyOrder.TryPeek(out var oldest))
        {
            var current = _idempotency.GetValueOrDefault(oldest.Key);
            if (current != oldest)
            {
                _idempotencyOrder.Dequeue();
            }
            else if (!oldest.InFlight && now - oldest.CreatedAt >= _options.IdempotencyKeyRetention)
            {
                _idempotency.Remove(oldest.Key);
                _idempotencyOrder.Dequeue();
            }
            else
            {
                return;
            }
        }
    }

    private void Release(IdempotencyEntry reservation)
    {
        if (_idempotency.GetValueOrDefault(reservation.Key) == reservation)
        {
            _idempotency.Remove(reservation.Key);
        }
    }

    private static string NewRequestId()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Span<char> chars = stackalloc char[14];
        for (var i = 0; i < chars.Length; i++)
        {
#pragma warning disable CA5394 // Request ids only need to be distinct.
            chars[i] = alphabet[Random.Shared.Next(alphabet.Length)];
#pragma warning restore CA5394
        }

        return "req_" + new string(chars);
    }

    /// <summary>A stored (or in-flight) idempotent request.</summary>
    private sealed class IdempotencyEntry(string key, string method, string path, string fingerprint, string requestId, DateTimeOffset createdAt)
    {
        public string Key { get; } = key;

        public string Method { get; } = method;

        public string Path { get; } = path;

        public string Fingerprint { get; } = fingerprint;

        public string RequestId { get; } = requestId;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public bool InFlight { get; private set; } = true;

        public int Status { get; private set; }

        public string? Body { get; private set; }

        public void Complete(int status, string body)
        {
            Status = status;
            Body = body;
            InFlight = false;
        }
    }

    /// <summary>One request in the log; mutated under the engine's lock.</summary>
    private sealed class RequestLogEntry
    {
        private readonly Dictionary<string, string> _headers;
        private readonly string _query;
        private readonly string _body;
        private readonly string _requestId;
        private readonly DateTimeOffset _receivedAt;
        private readonly StripeFaultRule? _rule;
        private RecordedRequestOutcome _outcome = RecordedRequestOutcome.InFlight;
        private int? _status;

        public RequestLogEntry(StandInRequest request, string requestId, DateTimeOffset receivedAt, StripeFaultRule? rule)
        {
            Method = request.Method;
            Path = request.Path;
            _query = request.Query;
            _body = request.Body;
            _requestId = requestId;
            _receivedAt = receivedAt;
            _rule = rule;
            _headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in request.Headers)
            {
                _headers[name] = string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) ? Redact(value) : value;
            }
        }

        public string Method { get; }

        public string Path { get; }

        public bool IsReplay { get; set; }

        public void Complete(StandInResponse response, bool clientAborted)
        {
            (_outcome, _status) = response.Disposition switch
            {
                ResponseDisposition.DropConnection => (RecordedRequestOutcome.ConnectionDropped, (int?)null),
                ResponseDisposition.Abandoned => (RecordedRequestOutcome.ClientAborted, null),
                _ when clientAborted => (RecordedRequestOutcome.ClientAborted, null),
                _ => (RecordedRequestOutcome.Responded, response.StatusCode),
            };
        }

        public RecordedRequest Snapshot() => new(
            Method, Path, _query, _headers, _body, _requestId, _receivedAt, _outcome, _status, IsReplay, _rule?.Fault, _rule?.Timing);

        private static string Redact(string value)
        {
            var space = value.IndexOf(' ', StringComparison.Ordinal);
            return space > 0 ? value[..space] + " [REDACTED]" : "[REDACTED]";
        }
    }
}
