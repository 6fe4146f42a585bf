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

    [Test]
    public async Task ReportAsync_UsageInTheBucketInProgress_SaysOncePerBucketWhatWaitsAndUntilWhen()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        var reporter = new UsageReporter(Store, Sink, new StoreAccountResolver(Store), Options.Create(Billing), Options.Create(new UsageReportingOptions()), Clock, factory.CreateLogger<UsageReporter>());
        await MapAsync("acct", "cus_1");
        await MapAsync("other", "cus_2");
        await Meter.IncrementAsync("acct", 5, timestamp: Start.AddMinutes(5));
        await Meter.IncrementAsync("other", 2, timestamp: Start.AddMinutes(4));

        await reporter.ReportAsync();
        await reporter.ReportAsync(); // the same bucket: no second notice
        var firstBucket = logs.Entries.Where(e => e.EventId == 16).ToList();
        At(Hour);
        await reporter.ReportAsync(); // the bucket closed and was reported; nothing waits
        var afterClose = logs.Entries.Count(e => e.EventId == 16);
        await Meter.IncrementAsync("acct", 1, timestamp: Start.Add(Hour).AddMinutes(1));
        await reporter.ReportAsync();
        var secondBucket = logs.Entries.Where(e => e.EventId == 16).Skip(afterClose).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(firstBucket, Has.Count.EqualTo(1));
            Assert.That(firstBucket[0].Message, Does.Contain("Usage of 2 account/meter counters"));
            Assert.That(firstBucket[0].Message, Does.Contain((Start + Hour).ToString("O")));
            Assert.That(afterClose, Is.EqualTo(1));
            Assert.That(secondBucket, Has.Count.EqualTo(1));
            Assert.That(secondBucket[0].Message, Does.Contain("Usage of 1 account/meter counters").And.Contain((Start + Hour + Hour).ToString("O")));
        });
    }
}
