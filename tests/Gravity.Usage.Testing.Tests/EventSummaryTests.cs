using System.Text.Json;
using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.Loopback)]
public sealed class EventSummaryTests(Transport transport) : StandInTest(transport)
{
    // 2026-09-21T12:00:00Z: a UTC day starts at 1789948800.
    private const long Noon = 1_789_992_000;
    private const long Day = 1_789_948_800;
    private string _meterId = null!;

    [SetUp]
    public async Task ArrangeAsync()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddCustomer("cus_2");
        _meterId = Stripe.AddMeter("api_calls");
        await SendAsync("cus_1", "5", Noon);             // 12:00:00
        await SendAsync("cus_1", "7", Noon + 3599);      // 12:59:59
        await SendAsync("cus_1", "11", Noon + 3600);     // 13:00:00
        await SendAsync("cus_1", "13", Noon + 7300);     // 14:01:40
        await SendAsync("cus_2", "1000", Noon + 10);     // another customer
    }

    [Test]
    public async Task EventSummaries_WithoutGrouping_OneSummaryCoversTheRange()
    {
        var json = await SummariesAsync($"customer=cus_1&start_time={Noon}&end_time={Noon + (3 * 3600)}");

        var data = json.GetProperty("data");
        Assert.That(data.GetArrayLength(), Is.EqualTo(1));
        var summary = data[0];
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("list"));
            Assert.That(json.GetProperty("has_more").GetBoolean(), Is.False);
            Assert.That(json.GetProperty("url").GetString(), Is.EqualTo($"/v1/billing/meters/{_meterId}/event_summaries"));
            Assert.That(summary.GetProperty("object").GetString(), Is.EqualTo("billing.meter_event_summary"));
            Assert.That(summary.GetProperty("aggregated_value").GetDecimal(), Is.EqualTo(36m));
            Assert.That(summary.GetProperty("start_time").GetInt64(), Is.EqualTo(Noon));
            Assert.That(summary.GetProperty("end_time").GetInt64(), Is.EqualTo(Noon + (3 * 3600)));
            Assert.That(summary.GetProperty("meter").GetString(), Is.EqualTo(_meterId));
            Assert.That(summary.GetProperty("livemode").GetBoolean(), Is.False);
            Assert.That(summary.GetProperty("id").GetString(), Does.StartWith("mtrusg_"));
        });
    }

    [Test]
    public async Task EventSummaries_RangeBounds_AreInclusiveStartExclusiveEnd()
    {
        var json = await SummariesAsync($"customer=cus_1&start_time={Noon + 60}&end_time={Noon + 3600}");

        Assert.That(json.GetProperty("data")[0].GetProperty("aggregated_value").GetDecimal(), Is.EqualTo(7m));
    }

    [Test]
    public async Task EventSummaries_HourGrouping_GivesOneSummaryPerHour()
    {
        var json = await SummariesAsync($"customer=cus_1&start_time={Noon}&end_time={Noon + (3 * 3600)}&value_grouping_window=hour");

        var data = json.GetProperty("data").EnumerateArray().ToArray();
        Assert.That(data.Select(d => d.GetProperty("aggregated_value").GetDecimal()), Is.EqualTo(new[] { 12m, 11m, 13m }));
        Assert.That(data.Select(d => d.GetProperty("start_time").GetInt64()), Is.EqualTo(new[] { Noon, Noon + 3600, Noon + 7200 }));
        Assert.That(data.Select(d => d.GetProperty("end_time").GetInt64()), Is.EqualTo(new[] { Noon + 3600, Noon + 7200, Noon + 10800 }));
        Assert.That(data.Select(d => d.GetProperty("id").GetString()).Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public async Task EventSummaries_DayGrouping_NeedsUtcDayBoundaries()
    {
        var json = await SummariesAsync($"customer=cus_1&start_time={Day}&end_time={Day + (2 * 86400)}&value_grouping_window=day");
        using var misaligned = await GetAsync($"/v1/billing/meters/{_meterId}/event_summaries?customer=cus_1&start_time={Noon}&end_time={Day + 86400}&value_grouping_window=day");

        Assert.That(json.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("aggregated_value").GetDecimal()), Is.EqualTo(new[] { 36m, 0m }));
        await ExpectErrorAsync(misaligned, 400, "invalid_request_error", param: "start_time");
    }

    [TestCase("customer=cus_1&start_time=1789992030&end_time=1789995600", "start_time")]
    [TestCase("customer=cus_1&start_time=1789992000&end_time=1789995601", "end_time")]
    [TestCase("customer=cus_1&start_time=1789992000&end_time=1789992000", "end_time")]
    [TestCase("customer=cus_1&start_time=1789992060&end_time=1789995600&value_grouping_window=hour", "start_time")]
    [TestCase("customer=cus_1&start_time=1789992000&end_time=1789995660&value_grouping_window=hour", "end_time")]
    [TestCase("customer=cus_1&start_time=1789992000&end_time=1789995600&value_grouping_window=week", "value_grouping_window")]
    [TestCase("start_time=1789992000&end_time=1789995600", "customer")]
    [TestCase("customer=cus_1&end_time=1789995600", "start_time")]
    [TestCase("customer=cus_1&start_time=1789992000", "end_time")]
    [TestCase("customer=cus_1&start_time=noon&end_time=1789995600", "start_time")]
    [TestCase("customer=cus_nobody&start_time=1789992000&end_time=1789995600", "customer")]
    [TestCase("customer=cus_1&start_time=1789992000&end_time=1789995600&limit=0", "limit")]
    public async Task EventSummaries_InvalidQuery_Is400(string query, string param)
    {
        using var response = await GetAsync($"/v1/billing/meters/{_meterId}/event_summaries?{query}");

        await ExpectErrorAsync(response, 400, "invalid_request_error", param: param);
    }

    [Test]
    public async Task EventSummaries_UnknownMeter_Is404()
    {
        using var response = await GetAsync($"/v1/billing/meters/mtr_nope/event_summaries?customer=cus_1&start_time={Noon}&end_time={Noon + 60}");

        await ExpectErrorAsync(response, 404, "invalid_request_error", "resource_missing", "id");
    }

    [Test]
    public async Task EventSummaries_CancelledEvents_AreLeftOut()
    {
        using var cancel = await PostAsync("/v1/billing/meter_event_adjustments", $"event_name=api_calls&type=cancel&cancel[identifier]=e{Noon + 3600}");
        await ExpectOkAsync(cancel);

        var json = await SummariesAsync($"customer=cus_1&start_time={Noon}&end_time={Noon + (3 * 3600)}");

        Assert.That(json.GetProperty("data")[0].GetProperty("aggregated_value").GetDecimal(), Is.EqualTo(25m));
    }

    [Test]
    public async Task EventSummaries_LimitStartingAfterEndingBefore_Paginate()
    {
        var query = $"customer=cus_1&start_time={Noon}&end_time={Noon + (5 * 3600)}&value_grouping_window=hour";
        var page1 = await SummariesAsync(query + "&limit=2");
        var lastId = page1.GetProperty("data")[1].GetProperty("id").GetString();
        var page2 = await SummariesAsync(query + $"&limit=2&starting_after={lastId}");
        var page3 = await SummariesAsync(query + $"&limit=2&starting_after={page2.GetProperty("data")[1].GetProperty("id").GetString()}");
        var back = await SummariesAsync(query + $"&limit=2&ending_before={page2.GetProperty("data")[0].GetProperty("id").GetString()}");

        Assert.Multiple(() =>
        {
            Assert.That(StartTimes(page1), Is.EqualTo(new[] { Noon, Noon + 3600 }));
            Assert.That(page1.GetProperty("has_more").GetBoolean(), Is.True);
            Assert.That(StartTimes(page2), Is.EqualTo(new[] { Noon + 7200, Noon + 10800 }));
            Assert.That(page2.GetProperty("has_more").GetBoolean(), Is.True);
            Assert.That(StartTimes(page3), Is.EqualTo(new[] { Noon + 14400 }));
            Assert.That(page3.GetProperty("has_more").GetBoolean(), Is.False);
            Assert.That(StartTimes(back), Is.EqualTo(StartTimes(page1)));
        });
    }

    [TestCase("count", 4)]
    [TestCase("last", 13)]
    public async Task EventSummaries_CountAndLastFormulas_Aggregate(string formula, int expected)
    {
        var meterId = Stripe.AddMeter("other", formula);
        foreach (var (value, at) in new[] { ("5", Noon), ("13", Noon + 7300), ("7", Noon + 3599), ("11", Noon + 3600) })
        {
            await SendAsync("cus_1", value, at, "other", $"o{at}");
        }

        using var response = await GetAsync($"/v1/billing/meters/{meterId}/event_summaries?customer=cus_1&start_time={Noon}&end_time={Noon + (3 * 3600)}");

        var json = await ExpectOkAsync(response);
        Assert.That(json.GetProperty("data")[0].GetProperty("aggregated_value").GetDecimal(), Is.EqualTo((decimal)expected));
        Assert.That(Stripe.GetMeterTotal("other", "cus_1"), Is.EqualTo(expected));
    }

    [Test]
    public async Task EventSummaries_PreAggregatedMeter_KeepsTheNewestEventPerWindow()
    {
        using var create = await PostAsync("/v1/billing/meters", "display_name=Seats&event_name=seats&default_aggregation[formula]=sum&event_time_window=hour");
        var meterId = (await ExpectOkAsync(create)).GetProperty("id").GetString();
        await SendAsync("cus_1", "3", Noon + 10, "seats", "s1");
        await SendAsync("cus_1", "8", Noon + 5, "seats", "s2");     // sent later, same hour: replaces s1
        await SendAsync("cus_1", "4", Noon + 3700, "seats", "s3");  // next hour

        using var response = await GetAsync($"/v1/billing/meters/{meterId}/event_summaries?customer=cus_1&start_time={Noon}&end_time={Noon + (2 * 3600)}");

        var json = await ExpectOkAsync(response);
        Assert.That(json.GetProperty("data")[0].GetProperty("aggregated_value").GetDecimal(), Is.EqualTo(12m));
        Assert.That(Stripe.GetMeterTotal("seats", "cus_1"), Is.EqualTo(12));
    }

    private static long[] StartTimes(JsonElement page) =>
        page.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("start_time").GetInt64()).ToArray();

    private async Task SendAsync(string customer, string value, long timestamp, string eventName = "api_calls", string? identifier = null)
    {
        using var response = await PostMeterEventAsync(customer, value, identifier ?? $"e{timestamp}{customer}".Replace("cus_1", string.Empty, StringComparison.Ordinal), timestamp, eventName: eventName);
        await ExpectOkAsync(response);
    }

    private async Task<JsonElement> SummariesAsync(string query)
    {
        using var response = await GetAsync($"/v1/billing/meters/{_meterId}/event_summaries?{query}");
        return await ExpectOkAsync(response);
    }
}
