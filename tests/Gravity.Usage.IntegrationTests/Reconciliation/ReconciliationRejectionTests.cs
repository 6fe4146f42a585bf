using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Reconciliation;

/// <summary>
/// Stripe's asynchronous meter errors name an identifier, which a re-drive keeps: a rejection of an earlier delivery
/// must not mark the re-driven delivery, which Stripe counted, failed. On every provider.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class ReconciliationRejectionTests<TFixture> : ReconciliationTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task ReconcileAsync_RejectionOfADeliveryBeforeARedriveSoonAfter_LeavesTheRedrivenReportSent()
    {
        await MapAsync("acct_1", "cus_1");
        Assert.That(await Meter.IncrementAsync("acct_1", 4, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.DropConnection());
        await RunAsync(at: Start.AddHours(1));
        var report = (await ReportsAsync("acct_1")).Single();
        Stripe.RejectMeterEventAsynchronously(report.Identifier);
        Clock.Advance(TimeSpan.FromHours(1));
        Assert.That((await RunAsync()).Sent, Is.EqualTo(1), "answered 200, rejected later");

        // The error is found within minutes and the operator re-drives the report at once; Stripe counts it this time.
        Clock.Advance(TimeSpan.FromMinutes(2));
        var found = await ReconcileAsync();
        Assert.That(found.Actions.Select(a => a.Kind), Is.EqualTo(new[] { UsageReconciliationActionKind.MarkedFailed }));
        Assert.That(await CreateReporter().RedriveAsync(new UsageReportQuery { Id = report.Id }), Is.EqualTo(1));
        Assert.That((await RunAsync()).Sent, Is.EqualTo(1));
        Assert.That(StripeTotal("cus_1"), Is.EqualTo(4));

        Clock.Advance(TimeSpan.FromHours(2));
        var later = await ReconcileAsync();
        Note(ReconciliationText.Format(later));

        // Had it been marked failed again, the next re-drive (past Stripe's 24-hour identifier window) would bill it twice.
        Clock.Advance(TimeSpan.FromHours(25));
        await CreateReporter().RedriveAsync(new UsageReportQuery { Id = report.Id });
        await RunAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(later.Actions, Is.Empty, "the rejection was of the delivery before the re-drive");
            Assert.That((await ReportsAsync("acct_1")).Single().Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(later.Rows.Single().State, Is.EqualTo(UsageReconciliationRowState.Matched));
            Assert.That(StripeTotal("cus_1"), Is.EqualTo(4), "billed once");
        });
    }
}
