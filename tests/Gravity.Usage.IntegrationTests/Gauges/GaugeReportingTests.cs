using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Stripe;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Gauges;

/// <summary>
/// Gauges reported to the Stripe stand-in (DESIGN §9): for every scenario, Stripe's <c>last</c> value over the billing
/// period equals what the period bills, as the ledger reads it back.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class GaugeReportingTests<TFixture> : GaugeTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task Last_SeatsUpAndDownWithLateAndBackdatedReadings_StripeLastIsThePeriodsLatestReading()
    {
        var provider = BuildProvider();
        var customer = await MapAsync(provider, "acct");
        var month = MonthOf(Day0);

        await SetAsync(provider, "acct", Seats, 5, Day0.AddHours(1));
        await SetAsync(provider, "acct", Seats, 8, Day0.AddHours(2));
        await ReportAtAsync(provider, Day0.AddHours(3));
        var afterFirst = StripeLast(SeatsEvent, customer, month.Start, month.End);

        // Going down after the report was sent, and a backdated reading older than the latest: it must not win.
        await SetAsync(provider, "acct", Seats, 3, Day0.AddHours(4));
        await SetAsync(provider, "acct", Seats, 12, Day0.AddHours(1).AddMinutes(30));
        await ReportAtAsync(provider, Day0.AddHours(5));
        var afterDown = StripeLast(SeatsEvent, customer, month.Start, month.End);

        // A reading after that report was sent; then another with the very same timestamp, after that one was sent
        // too: the later arrival wins, locally and at Stripe.
        await SetAsync(provider, "acct", Seats, 6, Day0.AddHours(5).AddMinutes(10));
        await ReportAtAsync(provider, Day0.AddHours(6));
        await SetAsync(provider, "acct", Seats, 7, Day0.AddHours(5).AddMinutes(10));
        await ReportAtAsync(provider, Day0.AddHours(7));

        var billed = await BilledAsync(provider, "acct", Seats, month.Start, month.End);
        var reports = await ReportsAsync(provider);
        var series = await provider.GetRequiredService<IUsageMeter>().GetSeriesAsync("acct", Day0, Day0.AddDays(1), Seats);
        var ledgerId = await Fixture.TextAsync($"SELECT ledger_id FROM {Fixture.Table("usage_ledger")}");
        var expectedIdentifiers = reports.Select((r, i) => ReportIdentifier.CreateForGauge(ledgerId, "acct", Seats, r.BucketStart.ToUnixTimeSeconds(), i, r.Quantity));
        Assert.Multiple(() =>
        {
            Assert.That(reports.Select(r => r.Identifier), Is.EqualTo(expectedIdentifiers), "derived from ledger, account, meter, timestamp, reports before and value");
            Assert.That(reports.Select(r => r.BucketStart), Is.EqualTo(new[] { Day0.AddHours(2), Day0.AddHours(4), Day0.AddHours(5).AddMinutes(10), Day0.AddHours(5).AddMinutes(10).AddSeconds(1) }), "the readings' timestamps; the tie one second after the report before");
            Assert.That(afterFirst, Is.EqualTo(8));
            Assert.That(afterDown, Is.EqualTo(3), "the backdated 12 is older than the period's latest reading");
            Assert.That(billed, Is.EqualTo(new MeterUsage(Seats, 7) { Kind = MeterKind.Last, SentQuantity = 7 }));
            Assert.That(StripeLast(SeatsEvent, customer, month.Start, month.End), Is.EqualTo(billed.Quantity), "Stripe's last is what the period bills");
            Assert.That(reports.Select(r => (r.Quantity, r.Status)), Is.EqualTo(new[] { (8L, UsageReportStatus.Sent), (3L, UsageReportStatus.Sent), (6L, UsageReportStatus.Sent), (7L, UsageReportStatus.Sent) }));
            Assert.That(reports.Select(r => r.BucketStart), Is.Ordered.Ascending.And.Unique, "each report stamped after the one before");
            Assert.That(reports.Select(r => r.Identifier), Is.Unique);
            Assert.That(series.Select(b => (b.BucketStart, b.Quantity)), Is.EqualTo(new[]
            {
                (Day0.AddHours(1), 12L), (Day0.AddHours(2), 8L), (Day0.AddHours(4), 3L), (Day0.AddHours(5), 7L),
            }), "each bucket keeps its latest reading");
        });
    }

    [Test]
    public async Task Max_PeakAcrossBucketsThenALowerAndABackdatedHigherReading_StripeLastIsThePeriodsPeak()
    {
        var provider = BuildProvider();
        var customer = await MapAsync(provider, "acct");
        var month = MonthOf(Day0);

        await SetAsync(provider, "acct", Peak, 4, Day0.AddHours(1));
        await SetAsync(provider, "acct", Peak, 9, Day0.AddHours(2));
        await SetAsync(provider, "acct", Peak, 7, Day0.AddHours(3));
        await ReportAtAsync(provider, Day0.AddHours(4));
        var afterPeak = StripeLast(PeakEvent, customer, month.Start, month.End);

        await SetAsync(provider, "acct", Peak, 2, Day0.AddHours(4).AddMinutes(5));
        var lower = await ReportAtAsync(provider, Day0.AddHours(5));
        var afterLower = StripeLast(PeakEvent, customer, month.Start, month.End);

        await SetAsync(provider, "acct", Peak, 11, Day0.AddHours(1).AddMinutes(30));
        await ReportAtAsync(provider, Day0.AddHours(6));

        var billed = await BilledAsync(provider, "acct", Peak, month.Start, month.End);
        var reports = await ReportsAsync(provider);
        Assert.Multiple(() =>
        {
            Assert.That(afterPeak, Is.EqualTo(9));
            Assert.That(lower.Closed, Is.Zero, "a lower reading leaves the peak as it is: nothing is sent");
            Assert.That(afterLower, Is.EqualTo(9));
            Assert.That(billed, Is.EqualTo(new MeterUsage(Peak, 11) { Kind = MeterKind.Max, SentQuantity = 11 }));
            Assert.That(StripeLast(PeakEvent, customer, month.Start, month.End), Is.EqualTo(billed.Quantity), "Stripe's last is the period's peak");
            Assert.That(reports.Select(r => r.Quantity), Is.EqualTo(new[] { 9L, 11L }), "the running maximum of the period");
            Assert.That(reports[1].BucketStart, Is.GreaterThan(reports[0].BucketStart), "the backdated peak is stamped after the report before, so it is Stripe's last");
        });
    }

    [Test]
    public async Task LastEver_CarriedIntoTheNextPeriod_IsSentOnceAtItsStartEvenWithTwoReporters()
    {
        // A daily billing cycle from the account resolver; two instances on one database, each with its reporter.
        var cycle = new BillingCycle(Day0, BillingInterval.Day);
        var customer = Stripe.AddCustomer();
        var resolver = new FixedResolver(new UsageAccount("acct") { StripeCustomerId = customer, BillingCycle = cycle });
        var first = BuildProvider(u => u.UseAccountResolver(_ => resolver));
        var second = BuildProvider(u => u.UseAccountResolver(_ => resolver));
        var day1 = (Start: Day0, End: Day0.AddDays(1));
        var day2 = (Start: Day0.AddDays(1), End: Day0.AddDays(2));

        await SetAsync(first, "acct", PlanSeats, 10, Day0.AddHours(2));
        await ReportAtAsync(first, Day0.AddHours(3));

        Clock.SetUtcNow(day2.Start.AddHours(1));
        var runs = await Task.WhenAll(
            first.GetRequiredService<IUsageReporter>().ReportAsync(),
            second.GetRequiredService<IUsageReporter>().ReportAsync()).WaitAsync(HangGuard);
        var again = await ReportAtAsync(second, day2.Start.AddHours(2));
        var carried = (await ReportsAsync(first)).Where(r => r.BucketStart >= day2.Start).ToList();
        var readBeforeChange = await BilledAsync(first, "acct", PlanSeats, day2.Start, day2.End);
        var stripeDay2BeforeChange = StripeLast(PlanSeatsEvent, customer, day2.Start, day2.End);

        await SetAsync(second, "acct", PlanSeats, 14, day2.Start.AddHours(2).AddMinutes(30));
        await ReportAtAsync(second, day2.Start.AddHours(4));

        Assert.Multiple(async () =>
        {
            Assert.That(runs.Sum(r => r.Closed), Is.EqualTo(1), "the carried value is closed once, whichever reporter runs");
            Assert.That(again.Closed, Is.Zero);
            Assert.That(carried.Select(r => (r.Quantity, r.BucketStart, r.Status)), Is.EqualTo(new[] { (10L, day2.Start, UsageReportStatus.Sent) }), "sent again at the period's start");
            Assert.That(readBeforeChange, Is.EqualTo(new MeterUsage(PlanSeats, 10) { Kind = MeterKind.LastEver, SentQuantity = 10 }), "a period without readings reads the value carried into it");
            Assert.That(stripeDay2BeforeChange, Is.EqualTo(10), "the next period's last value is the carried one");
            Assert.That(StripeLast(PlanSeatsEvent, customer, day1.Start, day1.End), Is.EqualTo(10));
            Assert.That(StripeLast(PlanSeatsEvent, customer, day2.Start, day2.End), Is.EqualTo(14));
            Assert.That((await BilledAsync(first, "acct", PlanSeats, day2.Start, day2.End)).Quantity, Is.EqualTo(14));
            Assert.That((await BilledAsync(first, "acct", PlanSeats, day1.Start, day1.End)).Quantity, Is.EqualTo(10), "a later period's reading does not reach back");
        });
    }

    [Test]
    public async Task MeterEventStream_LastGoingDownAfterAReport_StripeLastIsThePeriodsLatestReading()
    {
        var provider = BuildProvider(stripe: o => o.Api = StripeUsageApi.MeterEventStream);
        var customer = await MapAsync(provider, "acct");
        var month = MonthOf(Day0);

        await SetAsync(provider, "acct", Seats, 9, Day0.AddHours(1));
        await ReportAtAsync(provider, Day0.AddHours(2));
        await SetAsync(provider, "acct", Seats, 2, Day0.AddHours(2).AddMinutes(5));
        await SetAsync(provider, "acct", Seats, 15, Day0.AddHours(1).AddMinutes(59)); // backdated, older than 2
        await ReportAtAsync(provider, Day0.AddHours(3));

        var billed = await BilledAsync(provider, "acct", Seats, month.Start, month.End);
        Assert.Multiple(() =>
        {
            Assert.That(billed.Quantity, Is.EqualTo(2));
            Assert.That(StripeLast(SeatsEvent, customer, month.Start, month.End), Is.EqualTo(2), "the stream carries the gauge's timestamp too");
            Assert.That(Stripe.MeterEvents.Select(e => e.Value), Is.EqualTo(new[] { 9m, 2m }));
        });
    }

    [Test]
    public async Task LegacyUsageRecords_GaugeReportsUseActionSet_AndTheLatestRecordIsThePeriodsValue()
    {
        var provider = BuildProvider(stripe: o => o.Api = StripeUsageApi.LegacyUsageRecords);
        var customer = Stripe.AddCustomer();
        var item = Stripe.AddLegacySubscriptionItem(customer, Day0.AddDays(-1), Day0.AddDays(20));
        await MapAsync(provider, "acct", customer: customer, items: new Dictionary<string, string>(StringComparer.Ordinal) { [Seats] = item, [ApiCalls] = "si_unused" });

        await SetAsync(provider, "acct", Seats, 5, Day0.AddHours(1));
        await ReportAtAsync(provider, Day0.AddHours(2));
        await SetAsync(provider, "acct", Seats, 3, Day0.AddHours(2).AddMinutes(20));
        await ReportAtAsync(provider, Day0.AddHours(3));

        var writes = Stripe.UsageRecordWrites.Where(w => w.SubscriptionItemId == item).ToList();
        var latest = writes.GroupBy(w => w.Timestamp).OrderBy(g => g.Key).Last().Last();
        var billed = await BilledAsync(provider, "acct", Seats, Day0.AddDays(-1), Day0.AddDays(20));
        Assert.Multiple(() =>
        {
            Assert.That(writes.Select(w => (w.Quantity, w.Action)), Is.EqualTo(new[] { (5L, "set"), (3L, "set") }));
            Assert.That(latest.Quantity, Is.EqualTo(billed.Quantity).And.EqualTo(3), "last_during_period bills the latest record");
        });
    }

    [Test]
    public async Task PlanChange_FreeAccountTurnsBillable_ItsGaugeValueIsSentWithoutANewReading()
    {
        var provider = BuildProvider();
        var customer = await MapAsync(provider, "acct", billable: false);
        var month = MonthOf(Day0);
        await SetAsync(provider, "acct", Seats, 4, Day0.AddHours(1));
        await ReportAtAsync(provider, Day0.AddHours(2));
        var whileFree = await BilledAsync(provider, "acct", Seats, month.Start, month.End);

        await MapAsync(provider, "acct", billable: true, customer: customer);
        await ReportAtAsync(provider, Day0.AddHours(3));
        var again = await ReportAtAsync(provider, Day0.AddHours(4));

        var reports = await ReportsAsync(provider);
        Assert.Multiple(async () =>
        {
            Assert.That(whileFree, Is.EqualTo(new MeterUsage(Seats, 4) { Kind = MeterKind.Last, SkippedQuantity = 4 }));
            Assert.That(reports.Select(r => (r.Quantity, r.Status)), Is.EqualTo(new[] { (4L, UsageReportStatus.Skipped), (4L, UsageReportStatus.Sent) }));
            Assert.That(again.Closed, Is.Zero, "sent once");
            Assert.That(StripeLast(SeatsEvent, customer, month.Start, month.End), Is.EqualTo(4));
            Assert.That(await BilledAsync(provider, "acct", Seats, month.Start, month.End), Is.EqualTo(new MeterUsage(Seats, 4) { Kind = MeterKind.Last, SentQuantity = 4 }));
        });
    }

    [Test]
    public async Task GetAsync_SplitsUsageBySentPendingSkippedAndFailed_ForSumsAndGauges()
    {
        var provider = BuildProvider();
        await MapAsync(provider, "paid");
        await MapAsync(provider, "free", billable: false);
        await MapAsync(provider, "broken", customer: "cus_missing"); // Stripe refuses its events for good

        // The clock only moves forward: every account's increment first, then every account's reading.
        var accounts = new[] { "paid", "free", "broken" };
        Clock.SetUtcNow(Day0.AddHours(1));
        foreach (var account in accounts)
        {
            await provider.GetRequiredService<IUsageMeter>().IncrementAsync(account, 5, ApiCalls, timestamp: Day0.AddHours(1));
        }

        foreach (var account in accounts)
        {
            await SetAsync(provider, account, Seats, 4, Day0.AddHours(1).AddMinutes(10));
        }

        await ReportAtAsync(provider, Day0.AddHours(2).AddMinutes(30));
        Clock.SetUtcNow(Day0.AddHours(2).AddMinutes(40));
        await provider.GetRequiredService<IUsageMeter>().IncrementAsync("paid", 2, ApiCalls, timestamp: Day0.AddHours(2).AddMinutes(40));
        await SetAsync(provider, "paid", Seats, 6, Day0.AddHours(2).AddMinutes(45));

        var day = (Start: Day0, End: Day0.AddDays(1));
        var paid = await provider.GetRequiredService<IUsageMeter>().GetAsync("paid", day.Start, day.End);
        var free = await provider.GetRequiredService<IUsageMeter>().GetAsync("free", day.Start, day.End);
        var broken = await provider.GetRequiredService<IUsageMeter>().GetAsync("broken", day.Start, day.End);
        Assert.Multiple(() =>
        {
            Assert.That(paid.GetMeter(ApiCalls), Is.EqualTo(new MeterUsage(ApiCalls, 7) { SentQuantity = 5, PendingQuantity = 2 }), "billed, and waiting in the open bucket");
            Assert.That(paid.GetMeter(Seats), Is.EqualTo(new MeterUsage(Seats, 6) { Kind = MeterKind.Last, PendingQuantity = 6 }), "a new value not reported yet");
            Assert.That(free.GetMeter(ApiCalls), Is.EqualTo(new MeterUsage(ApiCalls, 5) { SkippedQuantity = 5 }), "not billable: never sent");
            Assert.That(free.GetMeter(Seats), Is.EqualTo(new MeterUsage(Seats, 4) { Kind = MeterKind.Last, SkippedQuantity = 4 }));
            Assert.That(broken.GetMeter(ApiCalls), Is.EqualTo(new MeterUsage(ApiCalls, 5) { FailedQuantity = 5 }), "refused by Stripe: needs attention");
            Assert.That(broken.GetMeter(Seats), Is.EqualTo(new MeterUsage(Seats, 4) { Kind = MeterKind.Last, FailedQuantity = 4 }));
        });
    }

    /// <summary>An account resolver of a host whose own table holds the plan and the billing cycle.</summary>
    private sealed class FixedResolver(UsageAccount account) : IUsageAccountResolver
    {
        public Task<UsageAccount?> ResolveAsync(string name, CancellationToken cancellationToken = default) =>
            Task.FromResult<UsageAccount?>(name == account.Account ? account : null);
    }
}
