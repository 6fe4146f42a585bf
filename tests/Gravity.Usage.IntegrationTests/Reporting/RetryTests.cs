namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>Transient failures back off with jitter across runs (DESIGN §5.2): 75-100% of a delay that doubles per attempt.</summary>
public sealed class RetryTests : ReportingTest
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(30);

    [Test]
    public async Task ReportAsync_TransientFailures_BackOffDoublingWithJitterAndAreNotResentBeforeDue()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Transient("429 Too Many Requests"), times: 3);
        var reporter = CreateReporter();

        var delays = new List<TimeSpan>();
        var runs = new List<ReportRun>();
        var callsBeforeDue = new List<int>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var attemptedAt = Clock.GetUtcNow();
            runs.Add(await reporter.ReportAsync());
            var report = await SingleReportAsync();
            Assert.Multiple(() =>
            {
                Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Pending));
                Assert.That(report.Attempts, Is.EqualTo(attempt));
                Assert.That(report.LastError, Is.EqualTo("429 Too Many Requests"));
                Assert.That(report.LastRequestId, Is.EqualTo($"req_{attempt}"));
                Assert.That(report.FirstAttemptAt, Is.EqualTo(Start.AddMinutes(65)));
                Assert.That(Sink.Calls, Has.Count.EqualTo(attempt), "not resent within the run");
            });
            delays.Add(report.NextAttemptAt - attemptedAt);

            Clock.SetUtcNow(report.NextAttemptAt - TimeSpan.FromMilliseconds(1));
            await reporter.ReportAsync();
            callsBeforeDue.Add(Sink.Calls.Count);
            Clock.SetUtcNow(report.NextAttemptAt);
        }

        var last = await reporter.ReportAsync();

        var sent = await SingleReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(runs.Select(r => (r.WaitingForRetry, r.Sent, r.Failed)), Is.All.EqualTo((1, 0, 0)));
            Assert.That(callsBeforeDue, Is.EqualTo(new[] { 1, 2, 3 }), "never resent before it is due");
            for (var i = 0; i < 3; i++)
            {
                var full = BaseDelay * (1 << i);
                Assert.That(delays[i], Is.InRange(full * 0.75, full), $"delay after attempt {i + 1}");
            }

            Assert.That(last.Sent, Is.EqualTo(1));
            Assert.That(sent.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(sent.Attempts, Is.EqualTo(4));
            Assert.That(sent.LastError, Is.Null, "a sent report carries no error");
            Assert.That(Sink.Calls.Select(c => c.Identifier).Distinct().Count(), Is.EqualTo(1));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task ReportAsync_DelayReachesRetryMaxDelay_IsCappedWithJitter()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Transient());
        var reporter = CreateReporter(o => o.RetryMaxDelay = TimeSpan.FromMinutes(1));

        var delays = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var attemptedAt = Clock.GetUtcNow();
            await reporter.ReportAsync();
            var report = await SingleReportAsync();
            delays.Add(report.NextAttemptAt - attemptedAt);
            Clock.SetUtcNow(report.NextAttemptAt);
        }

        Assert.Multiple(() =>
        {
            Assert.That(delays[0], Is.InRange(TimeSpan.FromSeconds(22.5), TimeSpan.FromSeconds(30)));
            Assert.That(delays.Skip(1), Is.All.InRange(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(60)));
        });
    }

    [Test]
    public async Task ReportAsync_SinkThrows_IsATransientFailureWithTheExceptionAsError()
    {
        await MapAsync("acct", "cus_1");
        await MapAsync("other", "cus_2");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        await Meter.IncrementAsync("other", 6);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAccount("acct", SinkAction.Throw("Connection refused"), times: 1);
        var reporter = CreateReporter();

        var run = await reporter.ReportAsync();
        var report = await SingleReportAsync("acct");
        Clock.SetUtcNow(report.NextAttemptAt);
        var retry = await reporter.ReportAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Sent, Is.EqualTo(1), "the other account's report is not held up");
            Assert.That(run.WaitingForRetry, Is.EqualTo(1));
            Assert.That(run.Failed, Is.Zero);
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(report.LastError, Is.EqualTo("InvalidOperationException: Connection refused"));
            Assert.That(report.NextAttemptAt - Start.AddMinutes(65), Is.InRange(BaseDelay * 0.75, BaseDelay));
            Assert.That(retry.Sent, Is.EqualTo(1));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(5));
            Assert.That(Sink.Total("cus_2", Usage), Is.EqualTo(6));
        });
    }

    [Test]
    public async Task ReportAsync_RetryAfterLongerThanTheBackOff_IsRespected()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Transient("429 Too Many Requests", retryAfter: TimeSpan.FromMinutes(10)), times: 1);
        var reporter = CreateReporter();

        await reporter.ReportAsync();
        var report = await SingleReportAsync();
        Clock.SetUtcNow(report.NextAttemptAt - TimeSpan.FromSeconds(1));
        var early = await reporter.ReportAsync();
        Clock.SetUtcNow(report.NextAttemptAt);
        var due = await reporter.ReportAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.NextAttemptAt, Is.EqualTo(Start.AddMinutes(75)));
            Assert.That(early.Sent, Is.Zero);
            Assert.That(due.Sent, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task ReportAsync_RetryAfterShorterThanTheBackOff_TheBackOffWins()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Transient("429 Too Many Requests", retryAfter: TimeSpan.FromSeconds(1)), times: 1);

        await CreateReporter().ReportAsync();

        var report = await SingleReportAsync();
        Assert.That(report.NextAttemptAt - Start.AddMinutes(65), Is.InRange(BaseDelay * 0.75, BaseDelay));
    }

    [Test]
    public async Task ReportAsync_ManyReportsFailTogether_TheirRetriesAreSpreadByJitter()
    {
        for (var i = 0; i < 40; i++)
        {
            await MapAsync($"acct_{i}", $"cus_{i}");
        }

        At(TimeSpan.FromMinutes(10));
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Meter.IncrementAsync($"acct_{i}", 1)));
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Transient());

        var run = await CreateReporter().ReportAsync();

        var due = (await ReportsAsync()).Select(r => r.NextAttemptAt).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(run.WaitingForRetry, Is.EqualTo(40));
            Assert.That(due.Distinct().Count(), Is.GreaterThan(20), "retries are not synchronised");
            Assert.That(due, Is.All.InRange(Start.AddMinutes(65) + (BaseDelay * 0.75), Start.AddMinutes(65) + BaseDelay));
        });
    }
}
