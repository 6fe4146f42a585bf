using Gravity.Usage.IntegrationTests.Contract;

namespace Gravity.Usage.IntegrationTests.Corrections;

/// <summary>
/// Corrections beside group commits and report runs, on SQLite and PostgreSQL: no deadlock, nothing lost, nothing
/// billed twice, and a back end that cannot cancel parks the amount as needing a credit.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class CorrectionConcurrencyTests<TFixture> : CorrectionTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task CorrectAsync_RacingIncrementsAndReportRuns_StripeBillsExactlyTheCorrectedTotal()
    {
        var reporter = CreateReporter();
        await RecordAsync(100);
        Clock.SetUtcNow(Start + TimeSpan.FromMinutes(30));

        var increments = Enumerable.Range(0, 400)
            .Select(i => Meter.IncrementAsync(Account, 1, ApiCalls, idempotencyKey: $"req-{i}", timestamp: Start))
            .ToList();
        var corrections = Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                await CorrectAsync(-1, $"fix-{i}");
            }
        });
        var runs = Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await reporter.ReportAccountAsync(Account);
            }
        });
        await Task.WhenAll(increments);
        await Task.WhenAll(corrections, runs).WaitAsync(TimeSpan.FromSeconds(120));

        // Settle: a few more runs, each cancelling what corrections left waiting and sending the rest.
        for (var i = 0; i < 5; i++)
        {
            Clock.Advance(TimeSpan.FromMinutes(10));
            await reporter.ReportAccountAsync(Account);
        }

        Note("100 + 400 increments, 30 corrections of -1, racing 5 runs", 470, StripeTotal);
        var reports = await ReportsAsync();
        var applied = await CorrectionsAsync();
        TestContext.Out.WriteLine(
            $"applied from unreported {applied.Sum(c => c.FromUnreported)}, unsent reports {applied.Sum(c => c.FromUnsentReports)}, " +
            $"cancelled and resent {applied.Sum(c => c.CancelledAndResent)}, needs credit {applied.Sum(c => c.NeedsCredit)}; {Adjustments()} cancellations at Stripe");
        Assert.Multiple(async () =>
        {
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 470) { SentQuantity = 470 }));
            Assert.That(applied.Sum(c => c.FromUnreported + c.FromUnsentReports + c.CancelledAndResent), Is.EqualTo(-30), "every correction applied, none parked");
            Assert.That(StripeTotal, Is.EqualTo(470));
            Assert.That(reports.Select(r => r.Status).Distinct(), Is.SubsetOf(new[] { UsageReportStatus.Sent, UsageReportStatus.Cancelled }), "nothing pending, waiting or parked");
            Assert.That(reports.Where(r => r.Status == UsageReportStatus.Sent).Sum(r => r.Quantity), Is.EqualTo(470));
            Assert.That((await CorrectionsAsync()).Sum(c => c.Delta), Is.EqualTo(-30));
        });
    }

    [Test]
    public async Task CorrectAsync_SinkThatCannotCancel_ParksTheAmountAsNeedingACredit()
    {
        var reporter = CreateReporter(new NoCancelSink(CreateSink()));
        await RecordAsync(10);
        await RunAsync(reporter);

        await CorrectAsync(-4, "fix-1");
        var run = await RunAsync(reporter);

        Note("sent 10 through a sink without cancellation, correction -4 (needs credit 4)", 10, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.EqualTo(10));
            Assert.That(Adjustments(), Is.Zero);
            Assert.That(run.NeedsCredit, Is.EqualTo(1));
            Assert.That(run.Failures.Single().LastError, Does.Contain("cannot cancel"));
            Assert.That((await CorrectionsAsync()).Single().NeedsCredit, Is.EqualTo(-4));
        });
    }

    /// <summary>A sink that keeps <see cref="IUsageSink.CancelAsync"/>'s default, as a host's own back end or legacy usage records do.</summary>
    private sealed class NoCancelSink(IUsageSink inner) : IUsageSink
    {
        public Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default) =>
            inner.DeliverAsync(delivery, cancellationToken);
    }
}
