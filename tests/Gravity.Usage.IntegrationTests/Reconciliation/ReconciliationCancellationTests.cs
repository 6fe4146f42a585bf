using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Reconciliation;

/// <summary>
/// A correction's cancellation whose answer was lost may have taken the event off Stripe's total while the ledger still
/// shows it sent: the hour cannot be judged until the cancellation is settled. On every provider.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class ReconciliationCancellationTests<TFixture> : ReconciliationTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task ReconcileAsync_CancellationOfASentReportAwaitingRetry_LeavesTheHourUnsettledAndBillsOnce()
    {
        await MapAsync("acct_1", "cus_1");
        var landed = await ParkUnknownAsync("acct_1", 5, FaultTiming.AfterProcessing);
        Assert.That(await Meter.IncrementAsync("acct_1", 5, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Assert.That((await RunAsync("acct_1")).Sent, Is.EqualTo(1));
        Assert.That(StripeTotal("cus_1"), Is.EqualTo(10));

        // The correction takes the newest report back; Stripe cancels its event but the answer is lost.
        await Meter.CorrectAsync("acct_1", -5, ApiCalls, Start, "Refund of a failed job", "fix-1");
        var adjustment = Stripe.Faults.FailNext("POST", "/v1/billing/meter_event_adjustments", StripeFault.DropConnection(), timing: FaultTiming.AfterProcessing);
        await RunAsync("acct_1");
        Assert.That(adjustment.Strikes, Is.EqualTo(1));
        Assert.That(StripeTotal("cus_1"), Is.EqualTo(5), "only the unknown report is at Stripe now");

        Clock.Advance(TimeSpan.FromHours(2));
        var reconciled = await ReconcileAsync();
        Note(ReconciliationText.Format(reconciled));
        await RunAsync();
        Clock.Advance(TimeSpan.FromHours(2));
        var later = await ReconcileAsync();
        Note(ReconciliationText.Format(later));
        await RunAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(reconciled.Actions.Where(a => a.Kind == UsageReconciliationActionKind.Resent), Is.Empty, "Stripe counted the unknown report");
            Assert.That(later.Actions.Select(a => (a.Kind, a.ReportId)), Is.EqualTo(new[] { (UsageReconciliationActionKind.MarkedSent, landed.Id) }));
            Assert.That((await ReportsAsync("acct_1")).Where(r => r.Status == UsageReportStatus.Sent).Sum(r => r.Quantity), Is.EqualTo(5));
            Assert.That(StripeTotal("cus_1"), Is.EqualTo(5), "10 used, 5 corrected off: billed 5");
        });
    }
}
