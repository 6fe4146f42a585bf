using System.Text.Json;
using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.Loopback)]
public sealed class MeterApiTests(Transport transport) : StandInTest(transport)
{
    private const string Create = "display_name=API%20calls&event_name=api_calls&default_aggregation[formula]=sum";

    [Test]
    public async Task Meters_Create_ReturnsABillingMeterWithDefaults()
    {
        using var response = await PostAsync("/v1/billing/meters", Create);

        var meter = await ExpectOkAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(meter.GetProperty("id").GetString(), Does.StartWith("mtr_"));
            Assert.That(meter.GetProperty("object").GetString(), Is.EqualTo("billing.meter"));
            Assert.That(meter.GetProperty("created").GetInt64(), Is.EqualTo(NowUnix));
            Assert.That(meter.GetProperty("updated").GetInt64(), Is.EqualTo(NowUnix));
            Assert.That(meter.GetProperty("display_name").GetString(), Is.EqualTo("API calls"));
            Assert.That(meter.GetProperty("event_name").GetString(), Is.EqualTo("api_calls"));
            Assert.That(meter.GetProperty("event_time_window").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(meter.GetProperty("livemode").GetBoolean(), Is.False);
            Assert.That(meter.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(meter.GetProperty("status_transitions").GetProperty("deactivated_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(meter.GetProperty("customer_mapping").GetProperty("event_payload_key").GetString(), Is.EqualTo("stripe_customer_id"));
            Assert.That(meter.GetProperty("customer_mapping").GetProperty("type").GetString(), Is.EqualTo("by_id"));
            Assert.That(meter.GetProperty("default_aggregation").GetProperty("formula").GetString(), Is.EqualTo("sum"));
            Assert.That(meter.GetProperty("value_settings").GetProperty("event_payload_key").GetString(), Is.EqualTo("value"));
        });
    }

    [Test]
    public async Task Meters_SecondForAnEventName_IsRejected()
    {
        using var first = await PostAsync("/v1/billing/meters", Create);
        using var second = await PostAsync("/v1/billing/meters", Create.Replace("sum", "count", StringComparison.Ordinal));

        await ExpectOkAsync(first);
        var error = await ExpectErrorAsync(second, 400, "invalid_request_error", param: "event_name");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("api_calls"));
        Assert.Throws<InvalidOperationException>(() => Stripe.AddMeter("api_calls"));
    }

    [TestCase("display_name=x&event_name=y&default_aggregation[formula]=max", "default_aggregation[formula]")]
    [TestCase("display_name=x&event_name=y&default_aggregation[bogus]=1", "default_aggregation[bogus]")]
    [TestCase("display_name=x&event_name=y&default_aggregation[formula]=", "default_aggregation[formula]")]
    [TestCase("display_name=x&event_name=y&default_aggregation=", "default_aggregation")]
    [TestCase("display_name=x&event_name=y&default_aggregation[formula]=sum&customer_mapping[type]=by_id", "customer_mapping[event_payload_key]")]
    [TestCase("display_name=x&event_name=y&default_aggregation[formula]=sum&customer_mapping[type]=by_email&customer_mapping[event_payload_key]=k", "customer_mapping[type]")]
    [TestCase("display_name=x&event_name=y&default_aggregation[formula]=sum&event_time_window=week", "event_time_window")]
    [TestCase("event_name=y&default_aggregation[formula]=sum", "display_name")]
    public async Task Meters_Invalid_AreRejected(string body, string param)
    {
        using var response = await PostAsync("/v1/billing/meters", body);

        await ExpectErrorAsync(response, 400, "invalid_request_error", param: param);
    }

    [Test]
    public async Task Meters_DisplayNameOver250Characters_IsRejected()
    {
        using var response = await PostAsync("/v1/billing/meters", $"display_name={new string('d', 251)}&event_name=y&default_aggregation[formula]=sum");

        await ExpectErrorAsync(response, 400, "invalid_request_error", param: "display_name");
    }

    [Test]
    public async Task Meters_RetrieveUpdateDeactivateReactivateList_Work()
    {
        var first = Stripe.AddMeter("a", id: "mtr_1");
        Clock.Advance(TimeSpan.FromSeconds(10));
        Stripe.AddMeter("b", "count", "mtr_2");
        Clock.Advance(TimeSpan.FromSeconds(10));

        using var retrieve = await GetAsync($"/v1/billing/meters/{first}");
        using var missing = await GetAsync("/v1/billing/meters/mtr_missing");
        using var update = await PostAsync($"/v1/billing/meters/{first}", "display_name=Renamed");
        using var deactivate = await PostAsync($"/v1/billing/meters/{first}/deactivate", string.Empty);
        using var inactive = await GetAsync("/v1/billing/meters?status=inactive");
        using var all = await GetAsync("/v1/billing/meters");
        using var paged = await GetAsync("/v1/billing/meters?limit=1");
        using var reactivate = await PostAsync($"/v1/billing/meters/{first}/reactivate", string.Empty);

        Assert.That((await ExpectOkAsync(retrieve)).GetProperty("event_name").GetString(), Is.EqualTo("a"));
        await ExpectErrorAsync(missing, 404, "invalid_request_error", "resource_missing", "id");
        var updated = await ExpectOkAsync(update);
        Assert.That(updated.GetProperty("display_name").GetString(), Is.EqualTo("Renamed"));
        Assert.That(updated.GetProperty("updated").GetInt64(), Is.EqualTo(NowUnix));
        var deactivated = await ExpectOkAsync(deactivate);
        Assert.That(deactivated.GetProperty("status").GetString(), Is.EqualTo("inactive"));
        Assert.That(deactivated.GetProperty("status_transitions").GetProperty("deactivated_at").GetInt64(), Is.EqualTo(NowUnix));
        Assert.That(Ids(await ExpectOkAsync(inactive)), Is.EqualTo(new[] { "mtr_1" }));
        Assert.That(Ids(await ExpectOkAsync(all)), Is.EqualTo(new[] { "mtr_2", "mtr_1" }), "newest first");
        var page = await ExpectOkAsync(paged);
        Assert.That(Ids(page), Is.EqualTo(new[] { "mtr_2" }));
        Assert.That(page.GetProperty("has_more").GetBoolean(), Is.True);
        Assert.That(page.GetProperty("url").GetString(), Is.EqualTo("/v1/billing/meters"));
        var reactivated = await ExpectOkAsync(reactivate);
        Assert.That(reactivated.GetProperty("status").GetString(), Is.EqualTo("active"));
        Assert.That(reactivated.GetProperty("status_transitions").GetProperty("deactivated_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    private static string?[] Ids(JsonElement list) =>
        list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToArray();
}
