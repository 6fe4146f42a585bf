using System.Net;
using System.Text;

namespace Gravity.Usage.Tests.Stripe;

/// <summary>A request as the handler saw it: method, address, every header (request and content), body, and the fake time.</summary>
internal sealed record RecordedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string? Body, DateTimeOffset At)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>An HTTP handler answering from a script of responders, recording every request; no network.</summary>
internal sealed class StubHttpHandler : HttpMessageHandler
{
    private readonly Lock _lock = new();
    private readonly Queue<Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>>> _script = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Func<DateTimeOffset> _clock;
    private Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>>? _always;

    public StubHttpHandler(Func<DateTimeOffset> clock)
    {
        _clock = clock;
    }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Completes when the next request arrives.</summary>
    public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static HttpResponseMessage Answer(int status, string body = "{}", string? requestId = "req_test", params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (requestId is not null)
        {
            response.Headers.TryAddWithoutValidation("Request-Id", requestId);
        }

        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    public static string ErrorBody(string type, string? code, string message, string? param = null) =>
        System.Text.Json.JsonSerializer.Serialize(new { error = new { type, code, message, param, doc_url = code is null ? null : "https://stripe.com/docs/error-codes/" + code } });

    public StubHttpHandler Then(int status, string body = "{}", string? requestId = "req_test", params (string Name, string Value)[] headers) =>
        Then((_, _) => Task.FromResult(Answer(status, body, requestId, headers)));

    public StubHttpHandler Then(Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>> responder)
    {
        lock (_lock)
        {
            _script.Enqueue(responder);
        }

        return this;
    }

    public StubHttpHandler ThenThrow(Exception exception) => Then((_, _) => Task.FromException<HttpResponseMessage>(exception));

    /// <summary>An attempt that never answers: it ends only when its token is cancelled.</summary>
    public StubHttpHandler ThenHang() => Then(async (_, cancellationToken) =>
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("unreachable");
    });

    public StubHttpHandler Always(int status, string body = "{}", string? requestId = "req_test", params (string Name, string Value)[] headers)
    {
        _always = (_, _) => Task.FromResult(Answer(status, body, requestId, headers));
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = string.Join(", ", values);
        }

        string? body = null;
        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers)
            {
                headers[name] = string.Join(", ", values);
            }

            body = await request.Content.ReadAsStringAsync(cancellationToken);
        }

        var recorded = new RecordedRequest(request.Method, request.RequestUri!, headers, body, _clock());
        Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>> responder;
        TaskCompletionSource entered;
        lock (_lock)
        {
            _requests.Add(recorded);
            responder = _script.Count > 0 ? _script.Dequeue() : _always ?? throw new InvalidOperationException("No scripted answer left.");
            entered = Entered;
            Entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        entered.TrySetResult();
        return await responder(recorded, cancellationToken);
    }
}
