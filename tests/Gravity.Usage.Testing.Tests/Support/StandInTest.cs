using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>
/// A fresh stand-in per test on a manual clock, reached in-process or over loopback HTTP, with helpers to send v1
/// requests and read Stripe error bodies.
/// </summary>
public abstract class StandInTest
{
    /// <summary>The clock's start: 2026-09-21T14:23:20Z, ten minutes after the wire captures' timestamp 1790000000.</summary>
    protected static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_790_000_600);

    protected StandInTest(Transport transport)
    {
        Transport = transport;
    }

    protected Transport Transport { get; }

    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected StripeStandIn Stripe { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected long NowUnix => Clock.GetUtcNow().ToUnixTimeSeconds();

    [SetUp]
    public async Task CreateStandInAsync() => await RecreateAsync(_ => { });

    [TearDown]
    public async Task DisposeStandInAsync()
    {
        Client.Dispose();
        await Stripe.DisposeAsync();
    }

    /// <summary>Replaces the stand-in with a new one built with the given options (on a new clock at <see cref="Start"/>).</summary>
    protected async Task RecreateAsync(Action<StripeStandInOptions> configure)
    {
        if (Stripe is not null)
        {
            await DisposeStandInAsync();
        }

        Clock = new FakeTimeProvider(Start);
        var options = new StripeStandInOptions { TimeProvider = Clock };
        configure(options);
        Stripe = new StripeStandIn(options);
        if (Transport == Transport.Loopback)
        {
            Client = new HttpClient { BaseAddress = await Stripe.StartAsync() };
        }
        else
        {
            Client = new HttpClient(Stripe.CreateHandler()) { BaseAddress = StripeStandIn.InProcessBaseAddress };
        }

        Client.Timeout = TimeSpan.FromSeconds(30);
    }

    protected Task<HttpResponseMessage> PostAsync(
        string path,
        string body,
        string? idempotencyKey = null,
        string? apiKey = StripeStandIn.DefaultApiKey,
        string? version = "2026-10-28.endive",
        string contentType = "application/x-www-form-urlencoded",
        HttpClient? client = null,
        CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        AddHeaders(request, apiKey, version, idempotencyKey);
        return (client ?? Client).SendAsync(request, cancellationToken);
    }

    protected Task<HttpResponseMessage> GetAsync(string pathAndQuery, string? apiKey = StripeStandIn.DefaultApiKey, string? version = "2026-10-28.endive")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery.TrimStart('/'));
        AddHeaders(request, apiKey, version, null);
        return Client.SendAsync(request);
    }

    protected Task<HttpResponseMessage> PostMeterEventAsync(
        string customer,
        string value,
        string? identifier,
        long? timestamp = null,
        string? idempotencyKey = null,
        string eventName = "api_calls",
        CancellationToken cancellationToken = default)
    {
        var pairs = new List<(string, string)> { ("event_name", eventName), ("payload[stripe_customer_id]", customer), ("payload[value]", value) };
        if (identifier is not null)
        {
            pairs.Add(("identifier", identifier));
        }

        pairs.Add(("timestamp", (timestamp ?? NowUnix).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return PostAsync("/v1/billing/meter_events", Form.Encode([.. pairs]), idempotencyKey, cancellationToken: cancellationToken);
    }

    /// <summary>Creates a v2 meter event session with the API key and returns its authentication token.</summary>
    protected async Task<string> CreateSessionTokenAsync()
    {
        using var response = await PostAsync("/v2/billing/meter_event_session", "{}", contentType: "application/json");
        var json = await ExpectOkAsync(response);
        return json.GetProperty("authentication_token").GetString()!;
    }

    /// <summary>Posts <c>{"events":[...]}</c> to the v2 meter event stream with a session token.</summary>
    protected Task<HttpResponseMessage> PostStreamAsync(string token, IEnumerable<JsonObject> events, string? idempotencyKey = null) =>
        PostAsync("/v2/billing/meter_event_stream", StreamBody(events), idempotencyKey, apiKey: token, contentType: "application/json");

    protected static string StreamBody(IEnumerable<JsonObject> events) =>
        new JsonObject { ["events"] = new JsonArray([.. events.Select(e => e.DeepClone())]) }.ToJsonString();

    /// <summary>One stream event for api_calls; the timestamp is RFC 3339, as Stripe.net sends it (omitted when null).</summary>
    protected static JsonObject StreamEvent(string? identifier, string customer = "cus_1", string? value = "5", DateTimeOffset? timestamp = null, string eventName = "api_calls")
    {
        var payload = new JsonObject { ["stripe_customer_id"] = customer };
        if (value is not null)
        {
            payload["value"] = value;
        }

        var e = new JsonObject { ["event_name"] = eventName, ["payload"] = payload };
        if (identifier is not null)
        {
            e["identifier"] = identifier;
        }

        if (timestamp is { } t)
        {
            e["timestamp"] = t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        return e;
    }

    protected static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    protected static async Task<JsonElement> ExpectOkAsync(HttpResponseMessage response)
    {
        var json = await JsonAsync(response);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), () => json.ToString());
        return json;
    }

    /// <summary>Asserts a Stripe error answer and returns its <c>error</c> object.</summary>
    protected static async Task<JsonElement> ExpectErrorAsync(HttpResponseMessage response, int status, string type, string? code = null, string? param = null)
    {
        var json = await JsonAsync(response);
        Assert.That((int)response.StatusCode, Is.EqualTo(status), () => json.ToString());
        var error = json.GetProperty("error");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("type").GetString(), Is.EqualTo(type), () => json.ToString());
            Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
            if (code is not null)
            {
                Assert.That(error.TryGetProperty("code", out var c) ? c.GetString() : null, Is.EqualTo(code), () => json.ToString());
            }

            if (param is not null)
            {
                Assert.That(error.TryGetProperty("param", out var p) ? p.GetString() : null, Is.EqualTo(param), () => json.ToString());
            }
        });
        return error;
    }

    protected static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static void AddHeaders(HttpRequestMessage request, string? apiKey, string? version, string? idempotencyKey)
    {
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Version", version);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
    }
}
