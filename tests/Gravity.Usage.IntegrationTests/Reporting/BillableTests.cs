using Gravity.Usage.Sqlite;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>Free accounts are tracked and shown, never billed; a change of plan splits usage at the change (DESIGN §2, §5.1).</summary>
public sealed class BillableTests : ReportingTest
{
    private const string NotBillable = "The account is not billable.";
    private const string Predates = "The usage predates the account becoming billable.";

    [Test]
    public async Task ReportAsync_FreeAccount_ClosesItsUsageAsSkippedAndNeverDeliversIt()
    {
        await MapAsync("free", "cus_free", billable: false);
        await MapAsync("paid", "cus_paid");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("free", 3);
        await Meter.IncrementAsync("free", 4, ApiCalls);
        await Meter.IncrementAsync("paid", 5);
        At(TimeSpan.FromMinutes(65));
        var reporter = CreateReporter();

        var run = await reporter.ReportAsync();
        At(TimeSpan.FromDays(3));
        var later = await reporter.ReportAsync();
        var redriven = await reporter.RedriveAsync(new UsageReportQuery { Account = "free" });
        var afterRedrive = await reporter.ReportAsync();

        var reports = await ReportsAsync("free");
        var local = await LocalAsync("free", Usage);
        Assert.Multiple(() =>
        {
            Assert.That(run.Closed, Is.EqualTo(3));
            Assert.That(run.Skipped, Is.EqualTo(2));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(later.Closed + later.Sent + later.Skipped, Is.Zero);
            Assert.That(redriven, Is.Zero, "skipped reports are never re-driven");
            Assert.That(afterRedrive.Sent, Is.Zero);
            Assert.That(reports.Select(r => (r.Meter, r.Quantity, r.Status, r.Attempts, r.LastError)), Is.EquivalentTo(new[]
            {
                (Usage, 3L, UsageReportStatus.Skipped, 0, NotBillable),
                (ApiCalls, 4L, UsageReportStatus.Skipped, 0, NotBillable),
            }));
            Assert.That(Sink.Calls.Select(c => c.Account), Is.EqualTo(new[] { "paid" }), "the free account's usage never reaches the sink");
            Assert.That(local, Is.EqualTo(new MeterUsage(Usage, 3) { SkippedQuantity = 3 }), "tracked and closed, never billed");
        });
    }

    [Test]
    public async Task SaveAccountAsync_FreeTurnsBillable_OnlyUsageFromThenOnIsDelivered()
    {
        await MapAsync("acct", "cus_1", billable: false);
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 3);
        At(TimeSpan.FromMinutes(70));
        await Meter.IncrementAsync("acct", 4); // free usage in the bucket that is still open at the change
        var reporter = CreateReporter();
        await reporter.ReportAsync(); // closes the ended bucket as skipped

        At(TimeSpan.FromMinutes(80));
        await MapAsync("acct", "cus_1");
        var atChange = await ReportsAsync("acct");
        At(TimeSpan.FromMinutes(90));
        await Meter.IncrementAsync("acct", 5); // paid usage, same bucket
        await Meter.IncrementAsync("acct", 6, timestamp: Start.AddMinutes(20)); // backdated into the free period
        At(TimeSpan.FromMinutes(125));
        var run = await reporter.ReportAsync();

        var account = await Store.GetAccountAsync("acct");
        var reports = await ReportsAsync("acct");
        Assert.Multiple(() =>
        {
            Assert.That(account!.BillableSince, Is.EqualTo(Start.AddMinutes(80)));
            Assert.That(
                atChange.Select(r => (r.BucketStart, r.Quantity, r.Status, r.LastError)),
                Is.EqualTo(new[]
                {
                    (Start, 3L, UsageReportStatus.Skipped, NotBillable),
                    (Start + Hour, 4L, UsageReportStatus.Skipped, NotBillable),
                }),
                "the change closes the free usage of the open bucket as skipped");
            Assert.That(run.Closed, Is.EqualTo(2));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(run.Skipped, Is.EqualTo(1));
            Assert.That(
                reports.Skip(2).Select(r => (r.BucketStart, r.Quantity, r.Status, r.LastError)),
                Is.EquivalentTo(new[]
                {
                    (Start + Hour, 5L, UsageReportStatus.Sent, (string?)null),
                    (Start, 6L, UsageReportStatus.Skipped, Predates),
                }));
            Assert.That(Sink.Calls.Select(c => (c.Quantity, c.BucketStart)), Is.EqualTo(new[] { (5L, Start + Hour) }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task SaveAccountAsync_BillableTurnsFree_PaidUsageSoFarIsClosedPendingAndDelivered()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 7);
        await Meter.IncrementAsync("acct", 1, Tokens);

        At(TimeSpan.FromMinutes(30));
        await MapAsync("acct", "cus_1", billable: false);
        var atChange = await ReportsAsync("acct");
        At(TimeSpan.FromMinutes(40));
        await Meter.IncrementAsync("acct", 2); // free usage, same bucket
        At(TimeSpan.FromMinutes(65));
        var run = await CreateReporter().ReportAsync();

        var reports = await ReportsAsync("acct");
        var local = await LocalAsync("acct", Usage);
        Assert.Multiple(() =>
        {
            Assert.That(
                atChange.Select(r => (r.Meter, r.Quantity, r.Status, r.CreatedAt)),
                Is.EquivalentTo(new[] { (Usage, 7L, UsageReportStatus.Pending, Start.AddMinutes(30)), (Tokens, 1L, UsageReportStatus.Pending, Start.AddMinutes(30)) }));
            Assert.That(run.Sent, Is.EqualTo(2), "the paid usage is delivered although the account is free by now");
            Assert.That(run.Skipped, Is.EqualTo(1));
            Assert.That(reports.Select(r => (r.Meter, r.Quantity, r.Status)), Is.EquivalentTo(new[]
            {
                (Usage, 7L, UsageReportStatus.Sent),
                (Tokens, 1L, UsageReportStatus.Sent),
                (Usage, 2L, UsageReportStatus.Skipped),
            }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(7));
            Assert.That(Sink.Total("cus_1", TokensEvent), Is.EqualTo(1));
            Assert.That(local, Is.EqualTo(new MeterUsage(Usage, 9) { SentQuantity = 7, SkippedQuantity = 2 }));
        });
    }

    [Test]
    public async Task SaveAccountAsync_SameMappingAgain_ClosesNothing()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 7);

        await MapAsync("acct", "cus_1");

        var reports = await ReportsAsync();
        var account = await Store.GetAccountAsync("acct");
        Assert.Multiple(() =>
        {
            Assert.That(reports, Is.Empty, "the same flag and ids change nothing (a new customer closes the usage so far: see MappingChangeTests)");
            Assert.That(account!.StripeCustomerId, Is.EqualTo("cus_1"));
        });
    }

    // Regression: the plan-change close once ignored BillableSince, so usage backdated into a free period was billed
    // when the account turned free again before a reporter run skipped it.
    [Test]
    public async Task SaveAccountAsync_BillableTurnsFreeWithUsageBackdatedIntoTheEarlierFreePeriod_ThatUsageIsNeverBilled()
    {
        await MapAsync("acct", "cus_1", billable: false);
        At(TimeSpan.FromHours(2));
        await MapAsync("acct", "cus_1"); // billable since 12:00
        At(TimeSpan.FromMinutes(130));
        await Meter.IncrementAsync("acct", 4, timestamp: Start.AddMinutes(30)); // usage of the free period, recorded late
        await Meter.IncrementAsync("acct", 6); // usage of the paid period

        At(TimeSpan.FromMinutes(140));
        await MapAsync("acct", "cus_1", billable: false);
        At(TimeSpan.FromHours(4));
        await CreateReporter().ReportAsync();

        var reports = await ReportsAsync("acct");
        Assert.Multiple(() =>
        {
            Assert.That(
                reports.Select(r => (r.BucketStart, r.Quantity, r.Status)),
                Is.EquivalentTo(new[] { (Start, 4L, UsageReportStatus.Skipped), (Start + (2 * Hour), 6L, UsageReportStatus.Sent) }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(6), "only the paid period is billed");
        });
    }

    // Regression: the reporter once decided an account's plan before closing, so a plan change saved in between was
    // overtaken and paid usage was skipped for good. The plan is now read inside the close transaction.
    [Test]
    public async Task ReportAccountAsync_AccountTurnsBillableWhileTheRunHoldsItsOldPlan_PaidUsageIsStillBilled()
    {
        await MapAsync("acct", "cus_1", billable: false);
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 3); // free
        var reporter = CreateReporter(reportStore: BeforeCloseReportStore.Create(Store, async () =>
        {
            At(TimeSpan.FromMinutes(20));
            await MapAsync("acct", "cus_1"); // closes the 3 as skipped; billable from now on
            await Meter.IncrementAsync("acct", 5); // paid
        }));

        await reporter.ReportAccountAsync("acct").WaitAsync(HangGuard);
        await CreateReporter().ReportAccountAsync("acct");

        var reports = await ReportsAsync("acct");
        Assert.Multiple(() =>
        {
            Assert.That(
                reports.Select(r => (r.Quantity, r.Status)),
                Is.EqualTo(new[] { (3L, UsageReportStatus.Skipped), (5L, UsageReportStatus.Sent) }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(5), "usage of a paid period is always billed");
        });
    }

    // Regression, the other way round: free usage recorded after a change to free must not be billed.
    [Test]
    public async Task ReportAccountAsync_AccountTurnsFreeWhileTheRunHoldsItsOldPlan_FreeUsageIsNotBilled()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 7); // paid
        var reporter = CreateReporter(reportStore: BeforeCloseReportStore.Create(Store, async () =>
        {
            At(TimeSpan.FromMinutes(20));
            await MapAsync("acct", "cus_1", billable: false); // closes the 7 as pending
            await Meter.IncrementAsync("acct", 2); // free
        }));

        await reporter.ReportAccountAsync("acct").WaitAsync(HangGuard);
        await CreateReporter().ReportAccountAsync("acct");

        var reports = await ReportsAsync("acct");
        Assert.Multiple(() =>
        {
            Assert.That(
                reports.Select(r => (r.Quantity, r.Status)),
                Is.EqualTo(new[] { (7L, UsageReportStatus.Sent), (2L, UsageReportStatus.Skipped) }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(7), "usage of a free period is never billed");
        });
    }
}
