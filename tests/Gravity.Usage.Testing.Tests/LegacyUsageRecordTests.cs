using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class LegacyUsageRecordTests(Transport transport) : StandInTest(transport)
{
    private const string Acacia = "2025-02-24.acacia";
    private static readonly DateTimeOffset PeriodStart = Start.AddDays(-10);
    private static readonly DateTimeOffset PeriodEnd = Start.AddDays(20);
    private string _item = null!;

    [SetUp]
    public void Arrange()
    {
        _item = Stripe.AddLegacySubscriptionItem("cus_1", PeriodStart, PeriodEnd);
    }

    [TestCase("2025-03-31.basil")]
    [TestCase("2025-05-28.basil")]
    [TestCase("2026-10-28.endive")]
    [TestCase(null)]
    public async Task UsageRecords_FromBasilOn_DoNotExist(string? version)
    {
        using var create = await PostAsync(UsageRecords, "quantity=5", version: version);
        using var summaries = await GetAsync(Summaries, version: version);

        var error = await ExpectErrorAsync(create, 400, "invalid_request_error");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("not available").And.Contain(version ?? "2026-10-28.endive"));
        await ExpectErrorAsync(summaries, 400, "invalid_request_error");
        Assert.That(Stripe.UsageRecordWrites, Is.Empty);
    }

    [TestCase("2025-02-24.acacia")]
    [TestCase("2024-06-20")]
    [TestCase("2025-03-30.acacia")]
    public async Task UsageRecords_BeforeBasil_Exist(string version)
    {
        using var create = await PostAsync(UsageRecords, "quantity=5", version: version);

        await ExpectOkAsync(create);
    }

    [Test]
    public async Task UsageRecords_Created_AreAUsageRecordObject()
    {
        using var response = await PostAsync(UsageRecords, $"quantity=5&timestamp={NowUnix - 60}&action=increment", "k1", version: Acacia);

        var json = await ExpectOkAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("id").GetString(), Does.StartWith("mbur_"));
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("usage_record"));
            Assert.That(json.GetProperty("livemode").GetBoolean(), Is.False);
            Assert.That(json.GetProperty("quantity").GetInt64(), Is.EqualTo(5));
            Assert.That(json.GetProperty("subscription_item").GetString(), Is.EqualTo(_item));
            Assert.That(json.GetProperty("timestamp").GetInt64(), Is.EqualTo(NowUnix - 60));
        });
        var write = Stripe.UsageRecordWrites.Single();
        Assert.Multiple(() =>
        {
            Assert.That(write.SubscriptionItemId, Is.EqualTo(_item));
            Assert.That(write.Quantity, Is.EqualTo(5));
            Assert.That(write.Action, Is.EqualTo("increment"));
            Assert.That(write.IdempotencyKey, Is.EqualTo("k1"));
            Assert.That(write.Timestamp, Is.EqualTo(Start.AddSeconds(-60)));
        });
    }

    [Test]
    public async Task UsageRecords_IncrementAndSet_AddOrOverwriteTheQuantityAtATimestamp()
    {
        var at = NowUnix - 100;
        await ExpectOkAsync(await PostAsync(UsageRecords, $"quantity=5&timestamp={at}", version: Acacia));
        await ExpectOkAsync(await PostAsync(UsageRecords, $"quantity=4&timestamp={at}&action=increment", version: Acacia));
        Assert.That(Stripe.GetUsageRecordTotal(_item), Is.EqualTo(9));

        await ExpectOkAsync(await PostAsync(UsageRecords, $"quantity=3&timestamp={at}&action=set", version: Acacia));
        Assert.That(Stripe.GetUsageRecordTotal(_item), Is.EqualTo(3));

        await ExpectOkAsync(await PostAsync(UsageRecords, "quantity=2&timestamp=now&action=set", version: Acacia));
        await ExpectOkAsync(await PostAsync(UsageRecords, "quantity=1", version: Acacia));
        Assert.That(Stripe.GetUsageRecordTotal(_item), Is.EqualTo(6));
        Assert.That(Stripe.GetUsageRecordTotal(_item, Start), Is.EqualTo(3));
        Assert.That(Stripe.UsageRecordWrites, Has.Count.EqualTo(5));
    }

    [Test]
    public async Task UsageRecords_TimestampOutsideTheCurrentPeriodOrInTheFuture_IsRejected()
    {
        using var beforePeriod = await PostAsync(UsageRecords, $"quantity=1&timestamp={PeriodStart.ToUnixTimeSeconds() - 1}", version: Acacia);
        using var periodStart = await PostAsync(UsageRecords, $"quantity=1&timestamp={PeriodStart.ToUnixTimeSeconds()}", version: Acacia);
        using var future = await PostAsync(UsageRecords, $"quantity=1&timestamp={NowUnix + 1}", version: Acacia);

        await ExpectErrorAsync(beforePeriod, 400, "invalid_request_error", param: "timestamp");
        await ExpectOkAsync(periodStart);
        await ExpectErrorAsync(future, 400, "invalid_request_error", param: "timestamp");
        Assert.That(Stripe.GetUsageRecordTotal(_item), Is.EqualTo(1));
    }

    [TestCase("timestamp=now", 400, "parameter_missing", "quantity")]
    [TestCase("quantity=abc", 400, "parameter_invalid_integer", "quantity")]
    [TestCase("quantity=-1", 400, null, "quantity")]
    [TestCase("quantity=1&action=replace", 400, null, "action")]
    [TestCase("quantity=1&timestamp=yesterday", 400, null, "timestamp")]
    [TestCase("quantity=1&bogus=1", 400, "parameter_unknown", "bogus")]
    public async Task UsageRecords_Invalid_AreRejected(string body, int status, string? code, string param)
    {
        using var response = await PostAsync(UsageRecords, body, version: Acacia);

        await ExpectErrorAsync(response, status, "invalid_request_error", code, param);
        Assert.That(Stripe.UsageRecordWrites, Is.Empty);
    }

    [Test]
    public async Task UsageRecords_UnknownSubscriptionItem_Is404()
    {
        using var response = await PostAsync("/v1/subscription_items/si_missing/usage_records", "quantity=1", version: Acacia);

        await ExpectErrorAsync(response, 404, "invalid_request_error", "resource_missing");
    }

    [Test]
    public async Task UsageRecords_WithoutAnIdentifier_OnlyTheIdempotencyKeyPreventsDoubleCounting()
    {
        var body = $"quantity=5&timestamp={NowUnix - 10}";
        using var first = await PostAsync(UsageRecords, body, "k1", version: Acacia);
        using var replay = await PostAsync(UsageRecords, body, "k1", version: Acacia);
        using var newKey = await PostAsync(UsageRecords, body, "k2", version: Acacia);

        await ExpectOkAsync(first);
        Assert.That(Header(replay, "Idempotent-Replayed"), Is.EqualTo("true"));
        await ExpectOkAsync(newKey);
        Assert.That(Stripe.GetUsageRecordTotal(_item), Is.EqualTo(10), "a resend with a new key counts again");
        Assert.That(Stripe.UsageRecordWrites, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task UsageRecordSummaries_PeriodsRenew_ListTheCurrentPeriodFirst()
    {
        await ExpectOkAsync(await PostAsync(UsageRecords, "quantity=5", version: Acacia));
        Clock.Advance(TimeSpan.FromDays(21));
        await ExpectOkAsync(await PostAsync(UsageRecords, "quantity=2", version: Acacia));
        using var lateForOldPeriod = await PostAsync(UsageRecords, $"quantity=1&timestamp={PeriodEnd.ToUnixTimeSeconds() - 1}", version: Acacia);
        using var response = await GetAsync(Summaries + "?limit=3", version: Acacia);

        await ExpectErrorAsync(lateForOldPeriod, 400, "invalid_request_error", param: "timestamp");
        var json = await ExpectOkAsync(response);
        var data = json.GetProperty("data").EnumerateArray().ToArray();
        Assert.That(data, Has.Length.EqualTo(2));
        Assert.Multiple(() =>
        {
            Assert.That(data[0].GetProperty("object").GetString(), Is.EqualTo("usage_record_summary"));
            Assert.That(data[0].GetProperty("subscription_item").GetString(), Is.EqualTo(_item));
            Assert.That(data[0].GetProperty("total_usage").GetInt64(), Is.EqualTo(2));
            Assert.That(data[0].GetProperty("period").GetProperty("start").GetInt64(), Is.EqualTo(PeriodEnd.ToUnixTimeSeconds()));
            Assert.That(data[0].GetProperty("period").GetProperty("end").GetInt64(), Is.EqualTo(PeriodEnd.AddDays(30).ToUnixTimeSeconds()));
            Assert.That(data[1].GetProperty("total_usage").GetInt64(), Is.EqualTo(5));
            Assert.That(data[1].GetProperty("period").GetProperty("start").GetInt64(), Is.EqualTo(PeriodStart.ToUnixTimeSeconds()));
            Assert.That(json.GetProperty("has_more").GetBoolean(), Is.False);
            Assert.That(json.GetProperty("url").GetString(), Is.EqualTo($"/v1/subscription_items/{_item}/usage_record_summaries"));
        });
    }

    private string UsageRecords => $"/v1/subscription_items/{_item}/usage_records";

    private string Summaries => $"/v1/subscription_items/{_item}/usage_record_summaries";
}
