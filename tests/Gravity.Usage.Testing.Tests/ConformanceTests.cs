using System.Text.Json.Nodes;
using System.Text.Json;
using Gravity.Usage.Testing.Internal;
using Gravity.Usage.Testing.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Testing.Tests;

/// <summary>
/// Checks the stand-in against reference/stripe-openapi-usage-subset.json: every route it serves is in the subset
/// with the same method; the parameters it accepts are the subset's (form parameters on v1, top-level JSON properties
/// on v2); the required parameters are exactly the ones it rejects as missing; its success answers match the response
/// schemas; and its errors match the v1 or v2 error schemas.
/// </summary>
public sealed class ConformanceTests
{
    private const string Form = "application/x-www-form-urlencoded";
    private const string Json = "application/json";
    private const string Stream = "POST /v2/billing/meter_event_stream";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_790_000_600);
    private static readonly long Hour = 1_789_999_200; // the hour holding Now
    private JsonElement _spec;

    /// <summary>
    /// A valid request per route that sends the parameters the subset defines: every one, except pagination cursors where
    /// two exclude each other or the cursor depends on another parameter (cursors are covered by the list tests).
    /// </summary>
    private static readonly Dictionary<string, (string Path, string Parameters)> Samples = new()
    {
        ["POST /v1/billing/meters"] = ("/v1/billing/meters", "display_name=Tokens&event_name=tokens&default_aggregation[formula]=sum&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value&event_time_window=hour&expand[0]=x"),
        ["GET /v1/billing/meters"] = ("/v1/billing/meters", "status=active&limit=5&ending_before=mtr_1&expand[0]=data"),
        ["GET /v1/billing/meters/{id}"] = ("/v1/billing/meters/mtr_1", "expand[0]=x"),
        ["POST /v1/billing/meters/{id}"] = ("/v1/billing/meters/mtr_1", "display_name=Renamed&expand[0]=x"),
        ["POST /v1/billing/meters/{id}/deactivate"] = ("/v1/billing/meters/mtr_1/deactivate", "expand[0]=x"),
        ["POST /v1/billing/meters/{id}/reactivate"] = ("/v1/billing/meters/mtr_1/reactivate", "expand[0]=x"),
        ["GET /v1/billing/meters/{id}/event_summaries"] = ("/v1/billing/meters/mtr_1/event_summaries", $"customer=cus_1&start_time={Hour}&end_time={Hour + 7200}&value_grouping_window=hour&limit=5&expand[0]=x"),
        ["POST /v1/billing/meter_events"] = ("/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=3&identifier=evt-2&timestamp=1790000000&expand[0]=x"),
        ["POST /v1/billing/meter_event_adjustments"] = ("/v1/billing/meter_event_adjustments", "event_name=api_calls&type=cancel&cancel[identifier]=evt-1&expand[0]=x"),
        ["POST /v1/subscription_items/{subscription_item}/usage_records"] = ("/v1/subscription_items/si_1/usage_records", "quantity=3&timestamp=now&action=increment&expand[0]=x"),
        ["GET /v1/subscription_items/{subscription_item}/usage_record_summaries"] = ("/v1/subscription_items/si_1/usage_record_summaries", "limit=3&starting_after=sis_si_1_0&expand[0]=x"),

        // v2: JSON bodies. The stream sample's timestamp is a minute before Now.
        ["POST /v2/billing/meter_event_session"] = ("/v2/billing/meter_event_session", "{}"),
        [Stream] = ("/v2/billing/meter_event_stream", """{"events":[{"event_name":"api_calls","identifier":"evt-2","payload":{"stripe_customer_id":"cus_1","value":"3"},"timestamp":"2026-09-21T14:22:20.000Z"}]}"""),
    };

    /// <summary>
    /// Optional in the v1 subset but rejected when missing, and why. <c>cancel</c>: <c>type=cancel</c> (its only value)
    /// needs <c>cancel[identifier]</c>; the v2 spec of the same endpoint marks <c>cancel</c> required.
    /// </summary>
    private static readonly Dictionary<(string Route, string Param), string> RequiredBeyondTheSubset = new()
    {
        [("POST /v1/billing/meter_event_adjustments", "cancel")] = "cancel[identifier]",
    };

    /// <summary>The served routes the subset covers; <see cref="Subscription"/> is outside it and checked on its own below.</summary>
    public static IEnumerable<string> RouteNames => Routes.All.Where(r => !r.OutsideTheSubset).Select(r => $"{r.Method} {r.Template}");

    /// <summary>Served so that billing cycles can be read; the subset has no subscriptions, only the shape of a price's <c>recurring</c>.</summary>
    private const string Subscription = "GET /v1/subscriptions/{id}";

    /// <summary>
    /// Served so that asynchronous meter errors can be read (thin <c>v1.billing.meter.error_report_triggered</c> events);
    /// the subset has no v2 events API. AsynchronousMeterErrorTests checks them through Stripe.net.
    /// </summary>
    private static readonly string[] ErrorEvents = ["GET /v2/core/events", "GET /v2/core/events/{id}"];

    [OneTimeSetUp]
    public void LoadSpec()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestData.Stripe("stripe-openapi-usage-subset.json")));
        _spec = document.RootElement.Clone();
    }

    [Test]
    public void Routes_EveryServedRoute_ExistsInTheSubsetWithTheSameMethod()
    {
        var paths = _spec.GetProperty("paths");
        Assert.Multiple(() =>
        {
            foreach (var route in RouteNames)
            {
                var (method, template) = Split(route);
                Assert.That(paths.TryGetProperty(template, out var item), Is.True, $"{template} is not in the subset");
                if (item.ValueKind == JsonValueKind.Object)
                {
                    Assert.That(item.TryGetProperty(method.ToLowerInvariant(), out _), Is.True, $"{route}: the subset has no {method}");
                }
            }
        });
    }

    [Test]
    public void Samples_AllRoutes_AreCovered()
    {
        Assert.That(Samples.Keys.Append(Subscription).Concat(ErrorEvents), Is.EquivalentTo(StripeStandIn.SupportedRoutes));
        Assert.That(Routes.All.Select(r => $"{r.Method} {r.Template}"), Is.EquivalentTo(StripeStandIn.SupportedRoutes));
    }

    [TestCaseSource(nameof(RouteNames))]
    public void Parameters_Accepted_AreTheSubsets(string route)
    {
        var definition = Routes.All.Single(r => $"{r.Method} {r.Template}" == route);
        var specParameters = SpecParameters(route);

        Assert.That(definition.Parameters.Select(p => p.Name), Is.EquivalentTo(specParameters.Keys), "top-level parameters");
        foreach (var parameter in definition.Parameters.Where(p => p.Shape == ParamShape.Hash))
        {
            var schema = SchemaCheck.Resolve(_spec, specParameters[parameter.Name].Schema);
            Assert.That(parameter.Keys, Is.EquivalentTo(schema.GetProperty("properties").EnumerateObject().Select(p => p.Name)), $"keys of {parameter.Name}");
        }
    }

    [TestCaseSource(nameof(RouteNames))]
    public async Task Parameters_Required_AreExactlyTheOnesRejectedWhenMissing(string route)
    {
        var (method, _) = Split(route);
        var (path, parameters) = Samples[route];
        var pairs = parameters.Split('&');

        var (status, baseline) = await SendAsync(route, method, path, parameters);
        Assert.That(status, Is.EqualTo(200), $"the full sample is accepted: {baseline}");

        foreach (var (name, (required, _)) in SpecParameters(route))
        {
            if (IsV2(route))
            {
                var body = JsonNode.Parse(parameters)!.AsObject();
                body.Remove(name);
                (status, var v2Json) = await SendAsync(route, method, path, body.ToJsonString());
                var v2Code = status == 200 ? null : v2Json.GetProperty("error").GetProperty("code").GetString();
                Assert.That((status, v2Code), Is.EqualTo(required ? (400, "parameter_missing") : (200, (string?)null)), $"{route} without '{name}': {v2Json}");
                continue;
            }

            var without = string.Join('&', pairs.Where(p => TopLevelName(p) != name));
            (status, var json) = await SendAsync(route, method, path, without);
            var error = status == 200 ? default : json.GetProperty("error");
            var code = status == 200 ? null : error.TryGetProperty("code", out var c) ? c.GetString() : null;
            var param = status == 200 ? null : error.TryGetProperty("param", out var p) ? p.GetString() : null;

            if (required)
            {
                Assert.That((status, code, param), Is.EqualTo((400, "parameter_missing", name)), $"{route} without required '{name}': {json}");
            }
            else if (RequiredBeyondTheSubset.TryGetValue((route, name), out var reported))
            {
                Assert.That((status, code, param), Is.EqualTo((400, "parameter_missing", reported)), $"{route} without '{name}': {json}");
            }
            else
            {
                Assert.That(status, Is.EqualTo(200), $"{route} without optional '{name}' is still accepted: {json}");
            }
        }
    }

    [TestCaseSource(nameof(RouteNames))]
    public async Task Answers_Success_MatchTheResponseSchema(string route)
    {
        var (method, template) = Split(route);
        var (path, parameters) = Samples[route];

        var (status, json) = await SendAsync(route, method, path, parameters);

        Assert.That(status, Is.EqualTo(200), json.ToString());
        var schema = _spec.GetProperty("paths").GetProperty(template).GetProperty(method.ToLowerInvariant())
            .GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.That(SchemaCheck.Validate(_spec, json, schema), Is.Empty, json.ToString());
    }

    [Test]
    public void StreamEvents_Properties_AreExactlyTheSubsets()
    {
        var items = SchemaCheck.Resolve(_spec, SpecParameters(Stream)["events"].Schema.GetProperty("items"));

        Assert.That(Ledger.StreamEventKeys, Is.EquivalentTo(items.GetProperty("properties").EnumerateObject().Select(p => p.Name)));
    }

    [TestCase("event_name", true)]
    [TestCase("payload", true)]
    [TestCase("identifier", false)]
    [TestCase("timestamp", false)]
    public async Task StreamEvents_RequiredProperties_AreAsInTheSubset(string name, bool requiredInTheSubset)
    {
        var items = SchemaCheck.Resolve(_spec, SpecParameters(Stream)["events"].Schema.GetProperty("items"));
        var required = items.GetProperty("required").EnumerateArray().Any(r => r.GetString() == name);
        var body = JsonNode.Parse(Samples[Stream].Parameters)!.AsObject();
        body["events"]![0]!.AsObject().Remove(name);

        var (status, json) = await SendAsync(Stream, "POST", Samples[Stream].Path, body.ToJsonString());

        Assert.That(required, Is.EqualTo(requiredInTheSubset), "the subset");
        Assert.That(status, Is.EqualTo(required ? 400 : 200), json.ToString());
        if (required)
        {
            Assert.That(json.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("parameter_missing"));
        }
    }

    [Test]
    public async Task Errors_V2_MatchTheV2ErrorSchemas()
    {
        var schemas = _spec.GetProperty("components").GetProperty("schemas");
        var (status, invalid) = await SendAsync(Stream, "POST", Samples[Stream].Path, """{"events":[]}""");
        Assert.That(status, Is.EqualTo(400));
        Assert.That(SchemaCheck.Validate(_spec, invalid, schemas.GetProperty("v2.error")), Is.Empty, invalid.ToString());
        Assert.That(invalid.GetProperty("error").TryGetProperty("param", out _), Is.False, "v2 errors have no param");

        (status, var expired) = await SendAsync(Stream, "POST", Samples[Stream].Path, Samples[Stream].Parameters, expireSession: true);
        Assert.That(status, Is.EqualTo(401));
        Assert.That(SchemaCheck.Validate(_spec, expired, schemas.GetProperty("v2.error.billing_meter_event_session_expired")), Is.Empty, expired.ToString());
    }

    [Test]
    public void Routes_OutsideTheSubset_AreOnlyTheSubscriptionAndTheErrorEvents()
    {
        Assert.That(Routes.All.Where(r => r.OutsideTheSubset).Select(r => $"{r.Method} {r.Template}"), Is.EquivalentTo(ErrorEvents.Prepend(Subscription)));
        Assert.That(_spec.GetProperty("paths").TryGetProperty("/v1/subscriptions/{id}", out _), Is.False, "once the subset covers subscriptions, check the route like the others");
        Assert.That(_spec.GetProperty("paths").TryGetProperty("/v2/core/events", out _), Is.False, "once the subset covers v2 events, check the routes like the others");
    }

    [TestCase("month", 1)]
    [TestCase("week", 2)]
    [TestCase("year", 1)]
    [TestCase("day", 30)]
    public async Task Subscription_PriceRecurring_MatchesTheSubsetsSchema(string interval, int intervalCount)
    {
        await using var stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = new FakeTimeProvider(Now) });
        var id = stripe.AddSubscription("cus_1", Now.AddDays(-3), interval, intervalCount);
        using var client = stripe.CreateClient();

        using var response = await client.GetAsync($"v1/subscriptions/{id}");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var subscription = document.RootElement;
        var price = subscription.GetProperty("items").GetProperty("data")[0].GetProperty("price");
        var schemas = _spec.GetProperty("components").GetProperty("schemas");

        // The subset's recurring is the legacy (2023) shape; its note says metered prices carry recurring.meter from
        // 2025-03-31.basil on, which the stand-in answers too: everything else must be the subset's.
        var recurring = JsonNode.Parse(price.GetProperty("recurring").GetRawText())!.AsObject();
        Assert.That(recurring.Remove("meter"), Is.True, "the current shape has recurring.meter");
        using var legacyShape = JsonDocument.Parse(recurring.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
            Assert.That(schemas.GetProperty("legacy.recurring").GetProperty("x-note").GetString(), Does.Contain("recurring.meter"));
            Assert.That(SchemaCheck.Validate(_spec, legacyShape.RootElement, schemas.GetProperty("legacy.recurring")), Is.Empty, price.ToString());
            Assert.That((subscription.GetProperty("object").GetString(), subscription.GetProperty("customer").GetString()), Is.EqualTo(("subscription", "cus_1")));
            Assert.That(subscription.GetProperty("billing_cycle_anchor").GetInt64(), Is.EqualTo(Now.AddDays(-3).ToUnixTimeSeconds()));
        });
    }

    [Test]
    public async Task Subscription_Unknown_Is404MatchingTheErrorSchema()
    {
        await using var stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = new FakeTimeProvider(Now) });
        using var client = stripe.CreateClient();

        using var response = await client.GetAsync("v1/subscriptions/sub_missing");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.That((int)response.StatusCode, Is.EqualTo(404));
        Assert.That(SchemaCheck.Validate(_spec, document.RootElement, _spec.GetProperty("components").GetProperty("schemas").GetProperty("error")), Is.Empty, document.RootElement.ToString());
        Assert.That(document.RootElement.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("resource_missing"));
    }

    [Test]
    public async Task Errors_V1_MatchTheErrorSchema()
    {
        var (status, json) = await SendAsync("POST /v1/billing/meter_events", "POST", "/v1/billing/meter_events", "event_name=api_calls");

        Assert.That(status, Is.EqualTo(400));
        Assert.That(SchemaCheck.Validate(_spec, json, _spec.GetProperty("components").GetProperty("schemas").GetProperty("error")), Is.Empty, json.ToString());
    }

    /// <summary>The route's parameters in the subset: form body properties (POST) or query parameters (GET), with whether they are required.</summary>
    private Dictionary<string, (bool Required, JsonElement Schema)> SpecParameters(string route)
    {
        var (method, template) = Split(route);
        var operation = _spec.GetProperty("paths").GetProperty(template).GetProperty(method.ToLowerInvariant());
        var result = new Dictionary<string, (bool, JsonElement)>(StringComparer.Ordinal);
        if (method == "GET")
        {
            foreach (var parameter in operation.GetProperty("parameters").EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query"))
            {
                var required = parameter.TryGetProperty("required", out var r) && r.GetBoolean();
                result[parameter.GetProperty("name").GetString()!] = (required, parameter.GetProperty("schema"));
            }

            return result;
        }

        if (!operation.TryGetProperty("requestBody", out var requestBody))
        {
            return result; // e.g. POST /v2/billing/meter_event_session: no parameters
        }

        var schema = requestBody.GetProperty("content").GetProperty(IsV2(route) ? Json : Form).GetProperty("schema");
        var requiredNames = schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(n => n.GetString()!).ToHashSet() : [];
        foreach (var property in schema.GetProperty("properties").EnumerateObject())
        {
            result[property.Name] = (requiredNames.Contains(property.Name), property.Value);
        }

        return result;
    }

    /// <summary>
    /// Sends one request to a fresh stand-in holding cus_1, meter mtr_1 (api_calls) with event evt-1, and legacy item si_1.
    /// v2 requests are JSON; the stream is authenticated with a new meter event session's token (expired on request).
    /// </summary>
    private static async Task<(int Status, JsonElement Json)> SendAsync(string route, string method, string path, string parameters, bool expireSession = false)
    {
        await using var stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = new FakeTimeProvider(Now) });
        stripe.AddCustomer("cus_1");
        stripe.AddMeter("api_calls", id: "mtr_1");
        stripe.AddLegacySubscriptionItem("cus_1", Now.AddDays(-10), Now.AddDays(20), "si_1");
        using var client = stripe.CreateClient();
        client.DefaultRequestHeaders.Add("Stripe-Version", route.Contains("subscription_items", StringComparison.Ordinal) ? "2025-02-24.acacia" : "2026-10-28.endive");
        using (var arrange = await client.PostAsync("v1/billing/meter_events", new StringContent("event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=1&identifier=evt-1", System.Text.Encoding.UTF8, Form)))
        {
            Assert.That((int)arrange.StatusCode, Is.EqualTo(200));
        }

        if (route == Stream)
        {
            using var sessionResponse = await client.PostAsync("v2/billing/meter_event_session", new StringContent("{}", System.Text.Encoding.UTF8, Json));
            using var session = JsonDocument.Parse(await sessionResponse.Content.ReadAsStringAsync());
            client.DefaultRequestHeaders.Authorization = new("Bearer", session.RootElement.GetProperty("authentication_token").GetString());
            if (expireSession)
            {
                stripe.ExpireMeterEventSessions();
            }
        }

        using var response = method == "GET"
            ? await client.GetAsync(path.TrimStart('/') + "?" + parameters)
            : await client.PostAsync(path.TrimStart('/'), new StringContent(parameters, System.Text.Encoding.UTF8, IsV2(route) ? Json : Form));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    private static bool IsV2(string route) => route.Contains(" /v2/", StringComparison.Ordinal);

    private static string TopLevelName(string pair)
    {
        var key = Uri.UnescapeDataString(pair.Split('=')[0]);
        var bracket = key.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? key : key[..bracket];
    }

    private static (string Method, string Template) Split(string route)
    {
        var space = route.IndexOf(' ', StringComparison.Ordinal);
        return (route[..space], route[(space + 1)..]);
    }
}
