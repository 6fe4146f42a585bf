using Gravity.Usage.IntegrationTests.Contract;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gravity.Usage.IntegrationTests.Corrections;

/// <summary>What the outbox health check says of corrections, on SQLite and PostgreSQL.</summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class CorrectionHealthTests<TFixture> : CorrectionTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task Outbox_AmountsNeedingACredit_AreShownButNotJudged()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);
        Clock.Advance(TimeSpan.FromHours(25));
        await CorrectAsync(-3, "fix-1");
        await RunAsync(reporter);

        var result = await new UsageOutboxHealthCheck(reporter, Clock, new UsageHealthCheckOptions()).CheckHealthAsync(new HealthCheckContext());

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(HealthStatus.Healthy));
            Assert.That(result.Data["needs_credit_reports_at_least"], Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Outbox_ACorrectionWaitingOnAFailedReport_IsDegradedOnceItWaitsTooLong()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount(Account) { StripeCustomerId = "cus_missing" });
        var reporter = CreateReporter();
        await RecordAsync(10);
        var failed = await RunAsync(reporter);
        await CorrectAsync(-3, "fix-1");
        var check = new UsageOutboxHealthCheck(reporter, Clock, new UsageHealthCheckOptions { MaxFailedReports = 1, MaxPendingAge = TimeSpan.FromHours(2) });

        var fresh = await check.CheckHealthAsync(new HealthCheckContext());
        Clock.Advance(TimeSpan.FromHours(3));
        var stale = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Multiple(() =>
        {
            Assert.That(failed.Failed, Is.EqualTo(1), "the report was refused for good");
            Assert.That(fresh.Status, Is.EqualTo(HealthStatus.Healthy));
            Assert.That(stale.Status, Is.EqualTo(HealthStatus.Degraded));
            Assert.That(stale.Description, Does.Contain("correction waiting"));
        });
    }
}
