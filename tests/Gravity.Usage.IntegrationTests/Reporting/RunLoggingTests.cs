using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>A scheduled reporter runs often and is mostly idle: only runs that did something reach the Information log.</summary>
public sealed class RunLoggingTests : ReportingTest
{
    [Test]
    public async Task ReportAsync_IdleRunsLogAtDebug_ARunThatSentLogsOnceAtInformation()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var reporter = new UsageReporter(Store, Sink, new StoreAccountResolver(Store), Options.Create(Billing), Options.Create(new UsageReportingOptions()), Clock, factory.CreateLogger<UsageReporter>());
        await MapAsync("acct", "cus_1");
        await Meter.IncrementAsync("acct", 5, timestamp: Start.AddMinutes(5));

        await reporter.ReportAsync(); // the bucket is still in progress: nothing to do yet
        var idle = logs.Entries.Where(e => e.EventId == 10).ToList();
        At(Hour);
        await reporter.ReportAsync();
        var busy = logs.Entries.Where(e => e.EventId == 10).Skip(idle.Count).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(idle.Select(e => e.Level), Is.EqualTo(new[] { LogLevel.Debug }));
            Assert.That(idle[0].Message, Does.Contain("bucket still in progress"));
            Assert.That(busy.Select(e => e.Level), Is.EqualTo(new[] { LogLevel.Information }));
            Assert.That(busy[0].Message, Does.Contain("1 closed, 1 sent"));
        });
    }
}
