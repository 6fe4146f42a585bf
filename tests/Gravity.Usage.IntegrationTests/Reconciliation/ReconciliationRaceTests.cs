using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Reconciliation;

/// <summary>
/// A reporter run between the reconciler's reading of the ledger and its reading of Stripe's summaries: Stripe's total
/// then holds usage the ledger's snapshot does not show, which must not pass for an unknown report. On every provider.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class ReconciliationRaceTests<TFixture> : ReconciliationTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task ReconcileAsync_ReporterSendsUsageOfTheHourWhileSummariesAreRead_NeverMarksTheDroppedReportSent()
    {
        await MapAsync("acct_1", "cus_1");
        var dropped = await ParkUnknownAsync("acct_1", 7, FaultTiming.BeforeProcessing);

        // Late usage of the same hour, closed and sent by a reporter run while the reconciler waits for the summaries.
        Assert.That(await Meter.IncrementAsync("acct_1", 7, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        var slowSummaries = Stripe.Faults.FailNext("GET", "/v1/billing/meters/", StripeFault.Delay(TimeSpan.FromSeconds(3)));
        var reconciling = ReconcileAsync();
        while (slowSummaries.Matches == 0 && !reconciling.IsCompleted)
        {
            await Task.Delay(10);
        }

        Assert.That((await RunAsync("acct_1")).Sent, Is.EqualTo(1), "the late usage is delivered while the summaries are read");
        var first = await reconciling;
        Note(ReconciliationText.Format(first));

        // Later, with everything settled, the dropped report is resolved from evidence that includes the late usage.
        Clock.Advance(TimeSpan.FromHours(2));
        var second = await ReconcileAsync();
        Note(ReconciliationText.Format(second));
        await RunAsync();

        Assert.Multiple(() =>
        {
            Assert.That(first.Actions.Where(a => a.Kind == UsageReconciliationActionKind.MarkedSent), Is.Empty, "Stripe's 7 is the late usage, not the dropped report");
            Assert.That(first.Actions.Concat(second.Actions).Select(a => (a.Kind, a.ReportId)), Is.EqualTo(new[] { (UsageReconciliationActionKind.Resent, dropped.Id) }));
            Assert.That(StripeTotal("cus_1"), Is.EqualTo(14), "both reports of 7 billed once");
        });
    }
}
