using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Reconciliation;

/// <summary>
/// Stripe's summaries are per customer and Stripe meter, not per account and ledger meter: usage of another account
/// billed to the same customer, or of another ledger meter sent under the same event name, is in Stripe's total and
/// must be weighed with it, or it "explains" a dropped report that Stripe never counted. On every provider.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class ReconciliationEvidenceScopeTests<TFixture> : ReconciliationTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    private const string ApiCallsEu = "api_calls_eu";

    [Test]
    public async Task ReconcileAsync_OneAccountOfASharedCustomerWithTheOthersUsageEqualToItsDroppedReport_ResendsTheDroppedReport()
    {
        await MapAsync("acct_1", "cus_1");
        await MapAsync("acct_2", "cus_1");
        Assert.That(await Meter.IncrementAsync("acct_2", 7, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Assert.That((await RunAsync("acct_2", Start.AddHours(1))).Sent, Is.EqualTo(1));
        var dropped = await ParkUnknownAsync("acct_1", 7, FaultTiming.BeforeProcessing);
        Assert.That(StripeTotal("cus_1"), Is.EqualTo(7), "Stripe holds acct_2's 7 only");

        var report = await ReconcileAsync("acct_1");
        Note(ReconciliationText.Format(report));
        await RunAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Actions.Select(a => (a.Kind, a.ReportId)), Is.EqualTo(new[] { (UsageReconciliationActionKind.Resent, dropped.Id) }));
            Assert.That((await ReportsAsync("acct_1")).Select(r => r.Status), Is.EqualTo(new[] { UsageReportStatus.Cancelled, UsageReportStatus.Sent }));
            Assert.That(StripeTotal("cus_1"), Is.EqualTo(14), "both accounts' usage billed once");
        });
    }

    [Test]
    public async Task ReconcileAsync_TwoMetersSharingOneStripeEventNameWithTheOthersUsageEqualToADroppedReport_ResendsTheDroppedReport()
    {
        Billing.Meters[ApiCallsEu] = new MeterOptions { StripeEventName = ApiCalls };
        await MapAsync("acct_1", "cus_1");
        Assert.That(await Meter.IncrementAsync("acct_1", 7, ApiCallsEu, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Assert.That((await RunAsync("acct_1", Start.AddHours(1))).Sent, Is.EqualTo(1));
        var dropped = await ParkUnknownAsync("acct_1", 7, FaultTiming.BeforeProcessing);
        Assert.That(StripeTotal("cus_1"), Is.EqualTo(7), "Stripe holds the api_calls_eu report only");

        var report = await ReconcileAsync();
        Note(ReconciliationText.Format(report));
        await RunAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Actions.Select(a => (a.Kind, a.ReportId)), Is.EqualTo(new[] { (UsageReconciliationActionKind.Resent, dropped.Id) }));
            Assert.That((await ReportsAsync("acct_1")).Where(r => r.Meter == ApiCalls).Select(r => r.Status), Is.EqualTo(new[] { UsageReportStatus.Cancelled, UsageReportStatus.Sent }));
            Assert.That(StripeTotal("cus_1"), Is.EqualTo(14), "both meters' usage billed once");
        });
    }
}
