using Gravity.Usage.IntegrationTests.Contract;

namespace Gravity.Usage.IntegrationTests.Corrections;

/// <summary>
/// A re-driven report starts again at zero attempts, yet an earlier attempt may have reached Stripe: a correction must
/// cancel it at Stripe, not only in the ledger, or the rest sent under a new identifier bills the usage twice.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class CorrectionOfARedrivenReportTests<TFixture> : CorrectionTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task CorrectAsync_OnARedrivenReportStripeAlreadyHas_BillsTheCorrectedTotalOnce()
    {
        // Stripe records the event but the answer is lost (a timeout): the reporter sees a transient failure.
        var lossy = new LostAnswerSink(CreateSink());
        await RecordAsync(10);
        await RunAsync(CreateReporter(lossy));
        Clock.Advance(TimeSpan.FromHours(21));
        await RunAsync(CreateReporter(lossy));
        Assert.That((await ReportsAsync()).Single().Status, Is.EqualTo(UsageReportStatus.Unknown));
        Assert.That(StripeTotal, Is.EqualTo(10));

        // The operator re-drives it (resending is safe: Stripe drops the same identifier), then a correction comes in.
        Assert.That(await Store.Reports.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Unknown }, Clock.GetUtcNow()), Is.EqualTo(1));
        await CorrectAsync(-3, "fix-1");
        await RunAsync(CreateReporter());
        await RunAsync(CreateReporter());

        Assert.That(StripeTotal, Is.EqualTo(7), "10 counted, 3 corrected off: Stripe should bill 7");
    }

    private sealed class LostAnswerSink(IUsageSink inner) : IUsageSink
    {
        public async Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
        {
            await inner.DeliverAsync(delivery, cancellationToken);
            return DeliveryResult.Transient("timeout");
        }
    }
}
