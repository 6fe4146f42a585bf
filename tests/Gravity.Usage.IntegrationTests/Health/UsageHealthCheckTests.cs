using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.IntegrationTests.Reporting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Health;

/// <summary>The ledger and outbox health checks on a real SQLite ledger: each state a readiness probe must tell apart.</summary>
public sealed class UsageHealthCheckTests : ReportingTest
{
    private static readonly HealthCheckContext Context = new();

    [Test]
    public async Task Ledger_ReachableWithACurrentSchemaAndAnIdleWriter_IsHealthy()
    {
        await Meter.IncrementAsync("acct", 1);

        var result = await new UsageLedgerHealthCheck(Store, Meter, new UsageHealthCheckOptions()).CheckHealthAsync(Context);

        Assert.That(result.Status, Is.EqualTo(HealthStatus.Healthy), result.Description);
    }

    [Test]
    public async Task Ledger_NewerSchemaThanTheLibrary_IsUnhealthyNamingTheSchema()
    {
        await Meter.IncrementAsync("acct", 1);
        Database.Execute("INSERT INTO usage_schema_version (version, name, applied_at) VALUES (99, 'from_the_future', '2030-01-01')");
        await using var reopened = CreateStore();

        var result = await new UsageLedgerHealthCheck(reopened, Meter, new UsageHealthCheckOptions()).CheckHealthAsync(Context);

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(result.Description, Does.Contain("schema"));
            Assert.That(result.Exception, Is.InstanceOf<UsageSchemaException>());
        });
    }

    [Test]
    public async Task Ledger_DisposedMeter_IsUnhealthy()
    {
        await Meter.DisposeAsync();

        var result = await new UsageLedgerHealthCheck(Store, Meter, new UsageHealthCheckOptions()).CheckHealthAsync(Context);

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(result.Description, Does.Contain("stopped"));
        });
    }

    [Test]
    public async Task Ledger_ACommitThatDoesNotFinish_IsUnhealthyWithTheIncrementsWaiting()
    {
        var gated = new GatedUsageStore(CreateStore());
        gated.Close();
        await using var meter = new UsageMeter(gated, Options.Create(Billing)); // real time: the check measures how long the commit has run
        var first = meter.IncrementAsync("acct", 1);
        await gated.WaitForBatchesAsync(1);
        var second = meter.IncrementAsync("acct", 2);
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        var result = await new UsageLedgerHealthCheck(gated, meter, new UsageHealthCheckOptions { StalledCommitAfter = TimeSpan.FromMilliseconds(100) }).CheckHealthAsync(Context);
        gated.Open();
        await Task.WhenAll(first, second);

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(result.Description, Does.Contain("One commit of the usage ledger has run for"));
            Assert.That(result.Data["queued"], Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Outbox_EverythingDelivered_IsHealthy()
    {
        await MapAsync("acct", "cus_1");
        await Meter.IncrementAsync("acct", 4, timestamp: Start.AddMinutes(5));
        At(Hour);
        var reporter = CreateReporter();
        await reporter.ReportAsync();

        var result = await new UsageOutboxHealthCheck(reporter, Clock, new UsageHealthCheckOptions()).CheckHealthAsync(Context);

        Assert.That(result.Status, Is.EqualTo(HealthStatus.Healthy), result.Description);
    }

    [Test]
    public async Task Outbox_AFailedReport_IsDegradedAndSaysWhatToDo()
    {
        await MapAsync("acct", "cus_1");
        await Meter.IncrementAsync("acct", 4, timestamp: Start.AddMinutes(5));
        Sink.ForAll(SinkAction.Permanent("400 No such customer"));
        At(Hour);
        var reporter = CreateReporter();
        await reporter.ReportAsync();

        var strict = await new UsageOutboxHealthCheck(reporter, Clock, new UsageHealthCheckOptions()).CheckHealthAsync(Context);
        var tolerant = await new UsageOutboxHealthCheck(reporter, Clock, new UsageHealthCheckOptions { MaxFailedReports = 1 }).CheckHealthAsync(Context);

        Assert.Multiple(() =>
        {
            Assert.That(strict.Status, Is.EqualTo(HealthStatus.Degraded));
            Assert.That(strict.Description, Does.Contain("failed reports").And.Contain("re-drive"));
            Assert.That(tolerant.Status, Is.EqualTo(HealthStatus.Healthy), "one failed report is within the threshold of 1");
        });
    }

    [Test]
    public async Task Outbox_AReportPendingTooLong_IsDegraded()
    {
        await MapAsync("acct", "cus_1");
        await Meter.IncrementAsync("acct", 4, timestamp: Start.AddMinutes(5));
        Sink.ForAll(SinkAction.Transient());
        At(Hour);
        var reporter = CreateReporter();
        await reporter.ReportAsync();
        var check = new UsageOutboxHealthCheck(reporter, Clock, new UsageHealthCheckOptions { MaxPendingAge = TimeSpan.FromHours(2) });

        var young = await check.CheckHealthAsync(Context);
        At(4 * Hour);
        var old = await check.CheckHealthAsync(Context);

        Assert.Multiple(() =>
        {
            Assert.That(young.Status, Is.EqualTo(HealthStatus.Healthy), young.Description);
            Assert.That(old.Status, Is.EqualTo(HealthStatus.Degraded));
            Assert.That(old.Description, Does.Contain("pending for 180 min"));
        });
    }

    [Test]
    public async Task AddHealthChecks_AddUsageLedgerAndOutbox_ReportThroughTheHostsHealthCheckService()
    {
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(Clock)
            .AddUsageBilling(u => u.UseSqlite(Database.ConnectionString).UseSink(_ => Sink))
            .AddHealthChecks().AddUsageLedger(tags: ["ready"]).AddUsageOutbox().Services
            .BuildServiceProvider();
        await provider.GetRequiredService<IUsageMeter>().IncrementAsync("acct", 1);

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.Entries.Keys, Is.EquivalentTo(new[] { "gravity-usage-ledger", "gravity-usage-outbox" }));
            Assert.That(report.Status, Is.EqualTo(HealthStatus.Healthy));
            Assert.That(report.Entries["gravity-usage-ledger"].Tags, Is.EquivalentTo(new[] { "ready" }));
        });
    }

    [Test]
    public void AddUsageOutbox_ThresholdOutOfRange_IsRefusedNamingIt()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddUsageOutbox(o => o.MaxFailedReports = -1));

        Assert.That(ex!.ParamName, Is.EqualTo(nameof(UsageHealthCheckOptions.MaxFailedReports)));
    }
}
