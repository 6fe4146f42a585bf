using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>Closing counters into reports (DESIGN §5.1): one report per counter's growth, deterministic identifiers.</summary>
public sealed class CloseTests : ReportingTest
{
    [Test]
    public async Task ReportAsync_EndedBucket_OneReportPerCounterWithTheBucketTotalSentOnce()
    {
        await MapAsync("acct", "cus_1");
        await MapAsync("other", "cus_2");
        At(TimeSpan.FromMinutes(5));
        await Meter.IncrementAsync("acct", 3);
        await Meter.IncrementAsync("acct", 4);
        await Meter.IncrementAsync("acct", 10, ApiCalls);
        await Meter.IncrementAsync("other", 1);
        At(TimeSpan.FromMinutes(70));
        await Meter.IncrementAsync("acct", 100); // the bucket in progress
        var reporter = CreateReporter();

        var run = await reporter.ReportAsync();

        var reports = await ReportsAsync();
        var ended = await Meter.GetAsync("acct", Start, Start + Hour);
        var open = await Meter.GetAsync("acct", Start + Hour, Start + (2 * Hour));
        var other = await Meter.GetAsync("other", Start, Start + Hour);
        Assert.Multiple(() =>
        {
            Assert.That(run, Is.EqualTo(new ReportRun { Closed = 3, Sent = 3, Failures = run.Failures }));
            Assert.That(run.Failures, Is.Empty);
            Assert.That(
                reports.Select(r => (r.Account, r.Meter, r.BucketStart, r.Quantity, r.Status, r.Attempts)),
                Is.EquivalentTo(new[]
                {
                    ("acct", Usage, Start, 7L, UsageReportStatus.Sent, 1),
                    ("acct", ApiCalls, Start, 10L, UsageReportStatus.Sent, 1),
                    ("other", Usage, Start, 1L, UsageReportStatus.Sent, 1),
                }));
            Assert.That(reports.Select(r => r.SentAt), Is.All.EqualTo(Start.AddMinutes(70)));
            Assert.That(reports.Select(r => r.LastRequestId), Has.All.StartsWith("req_"), "the sink's request id is kept");
            Assert.That(
                Sink.Calls.Select(c => (c.Identifier, c.CustomerId, c.EventName, c.Quantity, c.BucketStart, c.Answer)),
                Is.EquivalentTo(reports.Select(r => (r.Identifier, r.Account == "acct" ? "cus_1" : "cus_2", r.Meter, r.Quantity, Start, SinkAnswer.Accepted))),
                "each report delivered once, with its identifier, customer, event name, quantity and bucket");
            Assert.That(ended.Meters, Is.EqualTo(new[] { new MeterUsage(ApiCalls, 10) { SentQuantity = 10 }, new MeterUsage(Usage, 7) { SentQuantity = 7 } }), "the ended bucket is reported in full");
            Assert.That(other.GetMeter(Usage), Is.EqualTo(new MeterUsage(Usage, 1) { SentQuantity = 1 }));
            Assert.That(open.GetMeter(Usage), Is.EqualTo(new MeterUsage(Usage, 100) { PendingQuantity = 100 }), "the bucket in progress is not closed");
        });
    }

    [Test]
    public async Task ReportAsync_NothingNew_ClosesAndSendsNothing()
    {
        await MapAsync("acct", "cus_1");
        await Meter.IncrementAsync("acct", 2);
        At(Hour);
        var reporter = CreateReporter();
        await reporter.ReportAsync();

        At(3 * Hour);
        var again = await reporter.ReportAsync();

        Assert.Multiple(() =>
        {
            Assert.That(again.Closed + again.Sent + again.Skipped + again.Failed + again.WaitingForRetry + again.Unknown, Is.Zero);
            Assert.That(Sink.Calls, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task ReportAsync_IncludeOpenBuckets_ClosesTheBucketInProgress()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 6);
        var reporter = CreateReporter(o => o.IncludeOpenBuckets = true);

        var run = await reporter.ReportAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(6));
        });
    }

    [Test]
    public async Task ReportAccountAsync_BucketInProgress_IsClosedAndDeliveredForThatAccountOnly()
    {
        await MapAsync("acct", "cus_1");
        await MapAsync("other", "cus_2");
        await MapAsync("third", "cus_3");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 4);
        await Meter.IncrementAsync("other", 5);
        await Meter.IncrementAsync("other", 6, timestamp: Start.AddMinutes(-30)); // an ended bucket of another account
        await Meter.IncrementAsync("third", 7, timestamp: Start.AddMinutes(-30));
        // A report of another account that is already closed and due.
        var due = await Store.CloseAsync([new ReportClosing("third", Usage, Start - Hour, Start, null)], Clock.GetUtcNow());
        At(TimeSpan.FromMinutes(20));
        var reporter = CreateReporter();

        var run = await reporter.ReportAccountAsync("acct");

        var reports = await ReportsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(run.Closed, Is.EqualTo(1));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(
                reports.Select(r => (r.Account, r.BucketStart, r.Quantity, r.Status)),
                Is.EquivalentTo(new[] { ("third", Start - Hour, 7L, UsageReportStatus.Pending), ("acct", Start, 4L, UsageReportStatus.Sent) }),
                "another account's due report is neither claimed nor sent");
            Assert.That(reports.Single(r => r.Account == "third").Attempts, Is.Zero);
            Assert.That(Sink.Calls.Select(c => (c.Account, c.Quantity)), Is.EqualTo(new[] { ("acct", 4L) }));
        });
        Assert.That(due, Has.Count.EqualTo(1));
        var otherUsage = await LocalAsync("other", Usage);
        Assert.That(otherUsage.PendingQuantity, Is.EqualTo(otherUsage.Quantity), "another account's counters are not closed");
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase(null)]
    public void ReportAccountAsync_InvalidAccount_ThrowsNamingTheAccount(string? account)
    {
        var reporter = CreateReporter();

        var ex = Assert.CatchAsync<ArgumentException>(() => reporter.ReportAccountAsync(account!));

        Assert.That(ex!.ParamName, Is.EqualTo("account"));
    }

    [Test]
    public async Task Identifier_OfAReport_IsGuAnd40HexFromTheCounterAndTheQuantityReportedBefore()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        At(Hour);
        var reporter = CreateReporter();
        await reporter.ReportAsync();
        await Meter.IncrementAsync("acct", 3, timestamp: Start.AddMinutes(20)); // late, into the reported bucket
        await reporter.ReportAsync();

        var reports = await ReportsAsync();
        var bucket = Start.ToUnixTimeSeconds();
        var ledgerId = (string)Database.ExecuteScalar("SELECT ledger_id FROM usage_ledger")!;
        Assert.Multiple(() =>
        {
            Assert.That(reports.Select(r => r.Identifier), Has.All.Match("^gu_[0-9a-f]{40}$"));
            Assert.That(reports[0].Identifier, Is.EqualTo(ReportIdentifier.Create(ledgerId, "acct", Usage, bucket, 0, 5)));
            Assert.That(reports[1].Identifier, Is.EqualTo(ReportIdentifier.Create(ledgerId, "acct", Usage, bucket, 5, 3)));
            Assert.That(Sink.Calls.Select(c => c.Identifier), Is.EqualTo(reports.Select(r => r.Identifier)), "the sink gets the stored identifier");
        });
    }

    [Test]
    public async Task Identifiers_TwoLedgersWithTheSameHistory_ReportTheSameUsageUnderIdentifiersTheyDoNotShare()
    {
        var identifiers = new List<IReadOnlyList<string>>();
        foreach (var file in new[] { NewDatabaseFile(), NewDatabaseFile() })
        {
            RestartClock();
            var store = CreateStore(file);
            var meter = Own(new UsageMeter(store, Options.Create(Billing), Clock));
            await store.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1" });
            await store.SaveAccountAsync(new UsageAccount("free") { Billable = false });
            await RecordHistoryAsync(meter, Clock);
            var reporter = CreateReporter(store: store, sink: new RecordingSink());
            At(2 * Hour);
            await reporter.ReportAsync();
            await meter.IncrementAsync("acct", 9, ApiCalls, timestamp: Start.AddMinutes(59)); // a late delta
            await meter.IncrementAsync("free", 2, timestamp: Start.AddMinutes(59));
            await reporter.ReportAsync();
            var reports = await store.ListReportsAsync(new UsageReportQuery());
            identifiers.Add(reports.Select(r => $"{r.Account}|{r.Meter}|{r.BucketStart:O}|{r.Quantity}|{r.Status}|{r.Identifier}").ToList());
        }

        Assert.Multiple(() =>
        {
            Assert.That(identifiers[0], Has.Count.EqualTo(7));
            Assert.That(identifiers[1].Select(WithoutIdentifier), Is.EqualTo(identifiers[0].Select(WithoutIdentifier)), "the same reports");
            Assert.That(identifiers.SelectMany(i => i.Select(r => r.Split('|')[5])), Is.Unique, "but Stripe can never take one ledger's usage for the other's");
        });

        static string WithoutIdentifier(string report) => report[..report.LastIndexOf('|')];

        static async Task RecordHistoryAsync(UsageMeter meter, FakeTimeProvider clock)
        {
            await meter.IncrementAsync("acct", 1, timestamp: Start.AddMinutes(1));
            await meter.IncrementAsync("acct", 2, ApiCalls, timestamp: Start.AddMinutes(2));
            await meter.IncrementAsync("acct", 3, Tokens, timestamp: Start.AddMinutes(3));
            clock.SetUtcNow(Start + TimeSpan.FromMinutes(90));
            await meter.IncrementAsync("acct", 4, timestamp: Start.AddMinutes(61));
            await meter.IncrementAsync("free", 5, timestamp: Start.AddMinutes(4));
        }
    }

    [Test]
    public async Task LateIncrement_IntoAReportedBucket_MakesAFurtherDeltaReportAndLeavesTheFirstUnchanged()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        At(TimeSpan.FromMinutes(65));
        var reporter = CreateReporter();
        await reporter.ReportAsync();
        var first = await SingleReportAsync();

        At(TimeSpan.FromMinutes(80));
        await Meter.IncrementAsync("acct", 3, timestamp: Start.AddMinutes(20));
        await Meter.IncrementAsync("acct", 4, timestamp: Start.AddMinutes(59));
        var run = await reporter.ReportAsync();

        var reports = await ReportsAsync();
        var local = await LocalAsync("acct", Usage);
        Assert.Multiple(() =>
        {
            Assert.That(run.Closed, Is.EqualTo(1));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(reports, Has.Count.EqualTo(2));
            Assert.That(reports[0], Is.EqualTo(first), "history is never rewritten");
            Assert.That(reports[1].Quantity, Is.EqualTo(7));
            Assert.That(reports[1].BucketStart, Is.EqualTo(Start));
            Assert.That(reports[1].Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(reports[1].Identifier, Is.Not.EqualTo(first.Identifier));
            Assert.That(reports.Sum(r => r.Quantity), Is.EqualTo(local.Quantity));
            Assert.That(local, Is.EqualTo(new MeterUsage(Usage, 12) { SentQuantity = 12 }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(12));
            Assert.That(Sink.Calls.Select(c => c.Quantity), Is.EqualTo(new[] { 5L, 7L }));
        });
    }

    // Regression: the close loop once ran until it found no unreported usage, so a busy account's open bucket made one
    // tiny report (and one Stripe call) per step and the run never ended. Each counter is now closed once per run.
    [Test]
    public async Task ReportAccountAsync_UsageKeepsArrivingDuringTheRun_ClosesTheCounterOncePerRun()
    {
        await MapAsync("hot", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("hot", 1);
        var (store, traffic) = UsageArrivingReportStore.Create(Store, () => Meter.IncrementAsync("hot", 1), budget: 50);
        var reporter = CreateReporter(reportStore: store);

        var run = await reporter.ReportAccountAsync("hot").WaitAsync(HangGuard);

        Assert.Multiple(() =>
        {
            Assert.That(traffic.Arrived, Is.GreaterThanOrEqualTo(1), "usage arrived during the run");
            Assert.That(run.Closed, Is.LessThanOrEqualTo(2), $"reports closed by one run while {traffic.Arrived} increments arrived");
            Assert.That(Sink.Calls, Has.Count.LessThanOrEqualTo(2), "Stripe calls made by one run");
        });
    }
}
