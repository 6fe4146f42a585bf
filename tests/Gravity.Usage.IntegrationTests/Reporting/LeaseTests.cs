namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>A claimed batch that outlives its lease sends nothing more: another reporter may own the rest by then.</summary>
public sealed class LeaseTests : ReportingTest
{
    [Test]
    public async Task ReportAsync_BatchOutlivesItsLease_RemainingReportsAreHandedBackUnsentAndClaimedAgain()
    {
        await MapAsync("a", "cus_a");
        await MapAsync("b", "cus_b");
        await Meter.IncrementAsync("a", 1);
        await Meter.IncrementAsync("b", 2);
        At(TimeSpan.FromMinutes(65));
        // One delivery at a time, and every answer takes longer than the lease. Each delivery notes how many reports
        // are being worked on under a lease that already ran out.
        var sentUnderExpiredLease = new List<long>();
        Sink.Latency = () =>
        {
            var now = Clock.GetUtcNow().ToUnixTimeMilliseconds();
            sentUnderExpiredLease.Add((long)Database.ExecuteScalar(
                $"SELECT COUNT(*) FROM usage_report WHERE status = 'pending' AND lease_expires_at <= {now}")!);
            Clock.Advance(TimeSpan.FromSeconds(31));
            return Task.CompletedTask;
        };
        var reporter = CreateReporter(o =>
        {
            o.MaxConcurrency = 1;
            o.LeaseDuration = TimeSpan.FromSeconds(30);
        });

        var run = await reporter.ReportAsync();

        var reports = await Store.ListReportsAsync(new UsageReportQuery());
        Assert.Multiple(() =>
        {
            Assert.That(run.Sent, Is.EqualTo(2), "the handed-back report is claimed again under a fresh lease");
            Assert.That(Sink.Calls, Has.Count.EqualTo(2), "one call per report");
            Assert.That(sentUnderExpiredLease, Is.EqualTo(new long[] { 0, 0 }), "nothing is sent under a lease that ran out");
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(reports.Select(r => r.Attempts), Is.All.EqualTo(1), "the claim that sent nothing was taken back");
        });
    }
}
