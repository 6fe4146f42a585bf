using Microsoft.Extensions.DependencyInjection;
using Gravity.Usage.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// AddUsageReportingService: runs at start and then once per interval, survives failed runs, stops promptly. Driven
/// by hand through IHostedService on a <see cref="FakeTimeProvider"/>: a run happens only when the test moves the
/// clock past the interval, so every run is accounted for and no test waits for real time to pass.
/// </summary>
public sealed class HostedServiceTests : ReportingTest
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private FakeTimeProvider _time = null!;

    [SetUp]
    public void StartTheFakeClock() => _time = new FakeTimeProvider(Start);

    [Test]
    public async Task StartAsync_FakeClockMoved_RunsAtStartAndThenOncePerInterval()
    {
        var logs = new CapturingLoggerProvider();
        await using var provider = BuildProvider(logs);
        var service = provider.GetServices<IHostedService>().Single();

        await service.StartAsync(CancellationToken.None);
        await RunsFinishedAsync(logs, 1);
        _time.Advance(Interval - TimeSpan.FromTicks(1));
        var beforeTheInterval = FinishedRuns(logs);
        _time.Advance(TimeSpan.FromTicks(1));
        await RunsFinishedAsync(logs, 2);
        _time.Advance(Interval);
        await RunsFinishedAsync(logs, 3);
        await service.StopAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Multiple(() =>
        {
            Assert.That(beforeTheInterval, Is.EqualTo(1), "no run before the interval has passed");
            Assert.That(FinishedRuns(logs), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Service_SinkThrowsOnTheFirstRun_LogsItKeepsRunningAndTheNextRunDelivers()
    {
        var logs = new CapturingLoggerProvider();
        await using var provider = BuildProvider(logs, u => u.ConfigureReporting(o => o.RetryBaseDelay = TimeSpan.FromSeconds(1)));
        await SeedAsync(provider);
        Sink.ForAll(SinkAction.Throw("Stripe is down"), times: 1);
        var service = provider.GetServices<IHostedService>().Single();

        await service.StartAsync(CancellationToken.None);
        await RunsFinishedAsync(logs, 1);
        var callsAfterTheFirstRun = Sink.Calls.Count;
        _time.Advance(Interval);
        await Sink.WaitForAcceptedAsync(1).WaitAsync(Patience);
        await RunsFinishedAsync(logs, 2);
        await service.StopAsync(CancellationToken.None).WaitAsync(Patience);

        var report = (await provider.GetRequiredService<IUsageReporter>().ListReportsAsync(new UsageReportQuery())).Single();
        var entries = logs.Entries;
        Assert.Multiple(() =>
        {
            Assert.That(callsAfterTheFirstRun, Is.EqualTo(1), "the first run tried once");
            Assert.That(Sink.Calls.Select(c => (c.Identifier, c.Answer)), Is.EqualTo(new[] { (report.Identifier, SinkAnswer.Threw), (report.Identifier, SinkAnswer.Accepted) }));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(5));
            Assert.That(
                entries.Where(e => e.EventId == 13).Select(e => (e.Level, e.Exception?.Message)),
                Is.EqualTo(new[] { (LogLevel.Warning, (string?)"Stripe is down") }),
                "the sink's failure is logged");
            Assert.That(entries.Where(e => e.EventId == 21), Is.Empty, "a sink failure does not fail the run");
            Assert.That(entries.Where(e => e.EventId == 22).Select(e => e.Category), Is.EqualTo(new[] { "Gravity.Usage.Hosting.UsageReportingService" }), "stopping is logged once, by the library's service");
        });
    }

    [Test]
    public async Task Service_ARunFails_LogsTheErrorAndTheNextRunDelivers()
    {
        var logs = new CapturingLoggerProvider();
        var resolver = new FailingOnceResolver();
        await using var provider = BuildProvider(logs, u => u.UseAccountResolver(_ => resolver));
        await SeedAsync(provider);
        resolver.FailNextCall(); // the meter looked the account up for its billing cycle while seeding; the reporter fails
        var service = provider.GetServices<IHostedService>().Single();

        await service.StartAsync(CancellationToken.None);
        await RunsFinishedAsync(logs, 1);
        var deliveredBeforeTheNextRun = Sink.Calls.Count;
        _time.Advance(Interval);
        await Sink.WaitForAcceptedAsync(1).WaitAsync(Patience);
        await service.StopAsync(CancellationToken.None).WaitAsync(Patience);

        var failed = logs.Entries.Where(e => e.EventId == 21).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failed, Has.Count.EqualTo(1));
            Assert.That(failed[0].Level, Is.EqualTo(LogLevel.Error));
            Assert.That(failed[0].Exception?.Message, Is.EqualTo(FailingOnceResolver.Error));
            Assert.That(failed[0].Message, Does.Contain("00:01:00"), "names when the next run starts");
            Assert.That(deliveredBeforeTheNextRun, Is.Zero);
            Assert.That(resolver.Calls, Is.GreaterThanOrEqualTo(2), "asked again by the next run");
            Assert.That(Sink.Calls.Select(c => (c.CustomerId, c.Quantity, c.Answer)), Is.EqualTo(new[] { ("cus_host", 5L, SinkAnswer.Accepted) }));
        });
    }

    [Test]
    public async Task StopAsync_DuringADelivery_ReturnsPromptlyAndHandsTheReportBack()
    {
        var logs = new CapturingLoggerProvider();
        await using var provider = BuildProvider(logs);
        await SeedAsync(provider);
        Sink.ForAll(SinkAction.Block(new TaskCompletionSource().Task));
        var service = provider.GetServices<IHostedService>().Single();

        await service.StartAsync(CancellationToken.None);
        await Sink.WaitForStartedAsync(1).WaitAsync(Patience);
        var stopping = service.StopAsync(CancellationToken.None);
        await stopping.WaitAsync(Patience);

        var report = (await provider.GetRequiredService<IUsageReporter>().ListReportsAsync(new UsageReportQuery())).Single();
        Assert.Multiple(() =>
        {
            Assert.That(stopping.IsCompletedSuccessfully, Is.True);
            Assert.That(Sink.Calls.Select(c => c.Answer), Is.EqualTo(new[] { SinkAnswer.Cancelled }));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Pending), "stays pending for the next start");
            Assert.That(Lease(report.Id), Is.EqualTo((DBNull.Value, DBNull.Value)), "handed back, not left leased");
            Assert.That(logs.Entries.Count(e => e.EventId == 22), Is.EqualTo(1));
            Assert.That(logs.Entries.Where(e => e.EventId == 21), Is.Empty, "stopping is not a failed run");
        });
    }

    [TestCase(999)]
    [TestCase(0)]
    [TestCase(-1000)]
    public void AddUsageReportingService_IntervalUnderOneSecond_ThrowsNamingTheInterval(int milliseconds)
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddUsageReportingService(TimeSpan.FromMilliseconds(milliseconds)));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("interval"));
            Assert.That(ex.Message, Does.Contain("at least one second"));
            Assert.That(services, Is.Empty, "nothing registered");
        });
    }

    [Test]
    public async Task AddUsageReportingService_CalledTwice_RegistersOneServiceWithTheLastInterval()
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddUsageBilling(u => u.UseSqlite(Database.ConnectionString).UseSink(_ => Sink))
            .AddUsageReportingService(TimeSpan.FromSeconds(1))
            .AddUsageReportingService(TimeSpan.FromMinutes(5));
        await using var provider = services.BuildServiceProvider();

        Assert.Multiple(() =>
        {
            Assert.That(provider.GetServices<IHostedService>().Count(), Is.EqualTo(1));
            Assert.That(provider.GetRequiredService<UsageReportingSchedule>().Interval, Is.EqualTo(TimeSpan.FromMinutes(5)));
        });
    }

    /// <summary>Usage with the file of this test, the test's sink, the fake clock and a one-minute schedule.</summary>
    private ServiceProvider BuildProvider(CapturingLoggerProvider logs, Action<UsageBillingBuilder>? configure = null) =>
        new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton<TimeProvider>(_time)
            .AddUsageBilling(u =>
            {
                u.UseSqlite(Database.ConnectionString).UseSink(_ => Sink);
                configure?.Invoke(u);
            })
            .AddUsageReportingService(Interval)
            .BuildServiceProvider();

    /// <summary>Maps the account and records 5 units in a bucket that has ended.</summary>
    private async Task SeedAsync(ServiceProvider provider)
    {
        await provider.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1" });
        await provider.GetRequiredService<UsageMeter>().IncrementAsync("acct", 5, timestamp: _time.GetUtcNow() - TimeSpan.FromHours(2));
    }

    /// <summary>Scheduled runs that finished, whether they succeeded (event 20) or failed (21).</summary>
    private static int FinishedRuns(CapturingLoggerProvider logs) => logs.Entries.Count(e => e.EventId is 20 or 21);

    /// <summary>Waits (on real time, bounded) until the service has finished <paramref name="count"/> runs.</summary>
    private static async Task RunsFinishedAsync(CapturingLoggerProvider logs, int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (FinishedRuns(logs) < count)
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    /// <summary>A host's own account table that is unavailable for one lookup when told.</summary>
    private sealed class FailingOnceResolver : IUsageAccountResolver
    {
        public const string Error = "The account table is unavailable.";

        private int _calls;
        private int _failNext;

        public int Calls => Volatile.Read(ref _calls);

        public void FailNextCall() => Volatile.Write(ref _failNext, 1);

        public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return Interlocked.Exchange(ref _failNext, 0) == 1
                ? throw new InvalidOperationException(Error)
                : Task.FromResult<UsageAccount?>(new UsageAccount(account) { StripeCustomerId = "cus_host" });
        }
    }
}
