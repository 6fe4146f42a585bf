using System.Globalization;
using Gravity.Usage.IntegrationTests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Periods;

/// <summary>
/// Buckets cut at billing period boundaries (issue 9, item 4): usage on both sides of a boundary lands in the right
/// period on Stripe's side, for an anchor at 14:37:12 and for month-end anchors across short months and leap years.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class PeriodCutTests<TFixture> : BillingPeriodTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task IncrementAsync_PeriodBoundaryAt143712_SplitsTheHourAndBillsEachSideInItsPeriod()
    {
        var anchor = Utc(2026, 3, 15, 14, 37, 12);
        var boundary = Utc(2026, 4, 15, 14, 37, 12);
        var provider = await StartAsync(Utc(2026, 4, 15, 14, 5));
        var customer = Stripe.AddCustomer("cus_cut");
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = customer, BillingCycle = BillingCycle.Monthly(anchor) });

        await RecordAtAsync(provider, "acct", 3, Utc(2026, 4, 15, 14, 10));
        await RecordAtAsync(provider, "acct", 4, Utc(2026, 4, 15, 14, 37, 11));
        await RecordAtAsync(provider, "acct", 5, boundary);
        await RecordAtAsync(provider, "acct", 6, Utc(2026, 4, 15, 14, 50));
        await RecordAtAsync(provider, "acct", 7, Utc(2026, 4, 15, 15, 20));
        Clock.SetUtcNow(Utc(2026, 4, 15, 15, 30));
        var meter = provider.GetRequiredService<IUsageMeter>();
        var current = await meter.GetCurrentPeriodAsync("acct", ApiCalls);
        var previous = await meter.GetAsync("acct", anchor, boundary, ApiCalls);
        var series = await meter.GetSeriesAsync("acct", Utc(2026, 4, 15), Utc(2026, 4, 16), ApiCalls);
        await DeliverAsync(provider, "acct");

        var events = Stripe.MeterEvents.Where(e => e.CustomerId == customer).Select(e => (e.Timestamp, (long)e.Value)).OrderBy(e => e.Timestamp);
        Assert.Multiple(() =>
        {
            Assert.That(Billed(customer, anchor, boundary), Is.EqualTo(7), "the period that ends at 14:37:12");
            Assert.That(Billed(customer, boundary, boundary.AddMonths(1)), Is.EqualTo(18), "the period that starts at 14:37:12");
            Assert.That(events, Is.EqualTo(new[] { (Utc(2026, 4, 15, 14), 7L), (boundary, 11L), (Utc(2026, 4, 15, 15), 7L) }), "each event stamped inside its period");
            Assert.That((current.From, current.To, current.GetMeter(ApiCalls).Quantity), Is.EqualTo((boundary, Utc(2026, 5, 15, 14, 37, 12), 18L)));
            Assert.That(previous.GetMeter(ApiCalls).Quantity, Is.EqualTo(7));
            Assert.That(series.Select(b => (b.BucketStart, b.Quantity)), Is.EqualTo(new[] { (Utc(2026, 4, 15, 14), 7L), (boundary, 11L), (Utc(2026, 4, 15, 15), 7L) }));
        });
    }

    [Test]
    public async Task CorrectAsync_AfterTheBoundaryInTheCutHour_CorrectsTheBucketTheUsageWasCountedIn()
    {
        var boundary = Utc(2026, 4, 15, 14, 37, 12);
        var provider = await StartAsync(Utc(2026, 4, 15, 14, 5));
        var customer = Stripe.AddCustomer("cus_cut_correction");
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = customer, BillingCycle = BillingCycle.Monthly(Utc(2026, 3, 15, 14, 37, 12)) });
        await RecordAtAsync(provider, "acct", 3, Utc(2026, 4, 15, 14, 10));
        await RecordAtAsync(provider, "acct", 10, Utc(2026, 4, 15, 14, 50));
        Clock.SetUtcNow(Utc(2026, 4, 15, 14, 55));
        var meter = provider.GetRequiredService<IUsageMeter>();

        var correction = await meter.CorrectAsync("acct", -4, ApiCalls, Utc(2026, 4, 15, 14, 50), "Counted twice by a retried job", "fix-1");
        var series = await meter.GetSeriesAsync("acct", Utc(2026, 4, 15), Utc(2026, 4, 16), ApiCalls);

        Assert.Multiple(() =>
        {
            Assert.That(correction.BucketStart, Is.EqualTo(boundary), "the hour is cut at 14:37:12");
            Assert.That(series.Select(b => (b.BucketStart, b.Quantity)), Is.EqualTo(new[] { (Utc(2026, 4, 15, 14), 3L), (boundary, 6L) }));
        });
    }

    [TestCase(2028, 29, "2028-02-29", "2028-03-29", TestName = "{m}(anchor 29 Jan 2028, leap February)")]
    [TestCase(2028, 30, "2028-02-29", "2028-03-30", TestName = "{m}(anchor 30 Jan 2028, leap February)")]
    [TestCase(2028, 31, "2028-02-29", "2028-03-31", TestName = "{m}(anchor 31 Jan 2028, leap February)")]
    [TestCase(2027, 29, "2027-02-28", "2027-03-29", TestName = "{m}(anchor 29 Jan 2027)")]
    [TestCase(2027, 30, "2027-02-28", "2027-03-30", TestName = "{m}(anchor 30 Jan 2027)")]
    [TestCase(2027, 31, "2027-02-28", "2027-03-31", TestName = "{m}(anchor 31 Jan 2027)")]
    public async Task IncrementAsync_MonthEndAnchor_BillsUsageAroundEachBoundaryInItsPeriod(int year, int day, string february, string march)
    {
        var anchor = Utc(year, 1, day, 10, 30);
        var first = DateTimeOffset.Parse(february, CultureInfo.InvariantCulture).AddHours(10).AddMinutes(30);
        var second = DateTimeOffset.Parse(march, CultureInfo.InvariantCulture).AddHours(10).AddMinutes(30);
        var provider = await StartAsync(first.AddHours(-2));
        var customer = Stripe.AddCustomer("cus_month_end");
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = customer, BillingCycle = BillingCycle.Monthly(anchor) });

        await RecordAtAsync(provider, "acct", 2, first.AddSeconds(-1));
        await RecordAtAsync(provider, "acct", 3, first);
        Clock.SetUtcNow(first.AddMinutes(1));
        await DeliverAsync(provider, "acct");
        await RecordAtAsync(provider, "acct", 5, second.AddSeconds(-1));
        await RecordAtAsync(provider, "acct", 7, second);
        Clock.SetUtcNow(second.AddMinutes(1));
        await DeliverAsync(provider, "acct");
        var current = await provider.GetRequiredService<IUsageMeter>().GetCurrentPeriodAsync("acct");

        Assert.Multiple(() =>
        {
            Assert.That(Billed(customer, anchor, first), Is.EqualTo(2), "January's period, up to its shortened end");
            Assert.That(Billed(customer, first, second), Is.EqualTo(8), "February's period");
            Assert.That(Billed(customer, second, second.AddMonths(1)), Is.EqualTo(7), "March's period");
            Assert.That((current.From, current.GetMeter(ApiCalls).Quantity), Is.EqualTo((second, 7L)));
        });
    }

    [Test]
    public async Task RecordAsync_AcrossAPeriodBoundary_IsCutLikeAnIncrement()
    {
        var boundary = Utc(2026, 4, 15, 14, 37, 12);
        var provider = await StartAsync(Utc(2026, 4, 15, 14, 5), u => u.AddMeter("tokens"));
        await SaveAsync(provider, new UsageAccount("acct") { BillingCycle = BillingCycle.Monthly(Utc(2026, 3, 15, 14, 37, 12)) });
        var meter = provider.GetRequiredService<IUsageMeter>();

        Clock.SetUtcNow(Utc(2026, 4, 15, 14, 30));
        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment("tokens", 10)], idempotencyKey: "req-1");
        Clock.SetUtcNow(Utc(2026, 4, 15, 14, 40));
        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 2), UsagePart.Increment("tokens", 20)], idempotencyKey: "req-2");
        var retried = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 2), UsagePart.Increment("tokens", 20)], idempotencyKey: "req-2");
        var apiCalls = await meter.GetSeriesAsync("acct", Utc(2026, 4, 15), Utc(2026, 4, 16), ApiCalls);
        var tokens = await meter.GetSeriesAsync("acct", Utc(2026, 4, 15), Utc(2026, 4, 16), "tokens");

        Assert.Multiple(() =>
        {
            Assert.That(apiCalls.Select(b => (b.BucketStart, b.Quantity)), Is.EqualTo(new[] { (Utc(2026, 4, 15, 14), 1L), (boundary, 2L) }));
            Assert.That(tokens.Select(b => (b.BucketStart, b.Quantity)), Is.EqualTo(new[] { (Utc(2026, 4, 15, 14), 10L), (boundary, 20L) }));
            Assert.That(retried, Is.EqualTo(IncrementOutcome.Duplicate), "a retry of a cut call is still a retry");
        });
    }

    [Test]
    public async Task GetCurrentPeriodAsync_WithoutACycle_IsTheUtcCalendarMonthAndBucketsAreNotCut()
    {
        var provider = await StartAsync(Utc(2026, 6, 1, 0, 10));
        var customer = Stripe.AddCustomer("cus_plain");
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = customer });

        await RecordAtAsync(provider, "acct", 3, Utc(2026, 6, 1, 0, 20));
        await RecordAtAsync(provider, "acct", 4, Utc(2026, 6, 10, 14, 37, 12));
        await RecordAtAsync(provider, "acct", 5, Utc(2026, 6, 10, 14, 50));
        var current = await provider.GetRequiredService<IUsageMeter>().GetCurrentPeriodAsync("acct");
        var series = await provider.GetRequiredService<IUsageMeter>().GetSeriesAsync("acct", Utc(2026, 6, 1), Utc(2026, 7, 1), ApiCalls);

        Assert.Multiple(() =>
        {
            Assert.That((current.From, current.To, current.GetMeter(ApiCalls).Quantity), Is.EqualTo((Utc(2026, 6, 1), Utc(2026, 7, 1), 12L)));
            Assert.That(series.Select(b => b.BucketStart), Is.EqualTo(new[] { Utc(2026, 6, 1), Utc(2026, 6, 10, 14) }), "hourly buckets only");
        });
    }
}
