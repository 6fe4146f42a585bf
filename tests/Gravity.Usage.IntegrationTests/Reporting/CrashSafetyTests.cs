namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// Exactly once across lost answers, dead reporters and cancelled runs (DESIGN §1, §5.2): a report is resent with the
/// same identifier until it is marked sent, and the back end's de-duplication makes it count once.
/// </summary>
public sealed class CrashSafetyTests : ReportingTest
{
    [Test]
    public async Task ReportAsync_AcceptedButTheAnswerWasLost_ResendsTheSameIdentifierWhenDueAndCountsOnce()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 8);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.AcceptThenThrow(), times: 1);
        var reporter = CreateReporter();

        var first = await reporter.ReportAsync();
        var pending = await SingleReportAsync();
        var totalAfterFirst = Sink.Total("cus_1", Usage);
        Clock.SetUtcNow(pending.NextAttemptAt - TimeSpan.FromMilliseconds(1));
        var early = await reporter.ReportAsync();
        Clock.SetUtcNow(pending.NextAttemptAt);
        var due = await reporter.ReportAsync();

        var sent = await SingleReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.WaitingForRetry, Is.EqualTo(1));
            Assert.That(first.Sent, Is.Zero);
            Assert.That(pending.Status, Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(pending.Attempts, Is.EqualTo(1));
            Assert.That(pending.LastError, Does.Contain("IOException").And.Contain("connection was reset"));
            Assert.That(pending.NextAttemptAt, Is.GreaterThan(Start.AddMinutes(65)));
            Assert.That(totalAfterFirst, Is.EqualTo(8), "the back end took it the first time");
            Assert.That(early.Sent + early.WaitingForRetry, Is.Zero, "not resent before it is due");
            Assert.That(due.Sent, Is.EqualTo(1));
            Assert.That(
                Sink.Calls.Select(c => (c.Identifier, c.Answer)),
                Is.EqualTo(new[] { (pending.Identifier, SinkAnswer.AcceptedThenThrew), (pending.Identifier, SinkAnswer.Duplicate) }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(8), "counted once");
            Assert.That(sent.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(sent.Attempts, Is.EqualTo(2));
            Assert.That(sent.Identifier, Is.EqualTo(pending.Identifier));
            Assert.That(sent.SentAt, Is.EqualTo(pending.NextAttemptAt));
        });
    }

    [Test]
    public async Task ReportAsync_ReportLeasedByADeadReporter_IsDeliveredOnlyOnceTheLeaseExpires()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 4);
        At(TimeSpan.FromMinutes(65));
        await Store.CloseAsync([new ReportClosing("acct", Usage, Start, Start + Hour, null)], Clock.GetUtcNow());
        var now = Clock.GetUtcNow();
        var claimed = await Store.ClaimDueAsync(new ReportClaim("dead-reporter", now, now + TimeSpan.FromMinutes(1), 10));
        var reporter = CreateReporter();

        Clock.Advance(TimeSpan.FromSeconds(59));
        var whileLeased = await reporter.ReportAsync();
        var callsWhileLeased = Sink.Calls.Count;
        Clock.Advance(TimeSpan.FromSeconds(1));
        var afterExpiry = await reporter.ReportAsync();

        var report = await SingleReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(claimed, Has.Count.EqualTo(1));
            Assert.That(claimed[0].Attempts, Is.EqualTo(1));
            Assert.That(whileLeased.Sent, Is.Zero);
            Assert.That(callsWhileLeased, Is.Zero, "a leased report is not sent by another reporter");
            Assert.That(afterExpiry.Sent, Is.EqualTo(1));
            Assert.That(Sink.Calls.Select(c => c.Identifier), Is.EqualTo(new[] { claimed[0].Identifier }));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(report.LastError, Is.Null);
            Assert.That(report.Attempts, Is.EqualTo(2));
            Assert.That(report.FirstAttemptAt, Is.EqualTo(now), "the dead reporter's attempt counts as the first");
            Assert.That(Lease(report.Id), Is.EqualTo((DBNull.Value, DBNull.Value)), "the lease is released");
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(4));
        });
    }

    [Test]
    public async Task ReportAsync_DeliveryStalledPastTheLease_AnotherReporterResendsTheSameIdentifierAndTheStaleAnswerIsIgnored()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 4);
        At(TimeSpan.FromMinutes(65));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalledSink = new RecordingSink();
        stalledSink.ForAll(SinkAction.Block(gate.Task));
        var stalled = CreateReporter(sink: stalledSink).ReportAsync();
        await stalledSink.WaitForStartedAsync(1).WaitAsync(HangGuard);

        Clock.Advance(TimeSpan.FromMinutes(5)); // the default lease
        var other = await CreateReporter().ReportAsync();
        gate.SetResult(); // the stalled delivery answers now, after the other reporter marked the report sent
        var stalledRun = await stalled.WaitAsync(HangGuard);

        var report = await SingleReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(other.Sent, Is.EqualTo(1));
            Assert.That(stalledRun.Sent, Is.Zero, "its answer came after its lease was taken over");
            Assert.That(stalledSink.Calls.Single().Identifier, Is.EqualTo(report.Identifier));
            Assert.That(Sink.Calls.Single().Identifier, Is.EqualTo(report.Identifier));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(report.Attempts, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task ReportAsync_CancelledDuringADelivery_HandsTheReportBackDueAtOnce()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 4);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Block(new TaskCompletionSource().Task), times: 1);
        var reporter = CreateReporter();
        using var cancellation = new CancellationTokenSource();

        var running = reporter.ReportAsync(cancellation.Token);
        await Sink.WaitForStartedAsync(1).WaitAsync(HangGuard);
        await cancellation.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => running.WaitAsync(HangGuard));
        var handedBack = await SingleReportAsync();
        var next = await reporter.ReportAsync();

        var report = await SingleReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(handedBack.Status, Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(handedBack.NextAttemptAt, Is.EqualTo(Clock.GetUtcNow()), "due at once");
            Assert.That(Lease(handedBack.Id), Is.EqualTo((DBNull.Value, DBNull.Value)), "not left leased until the lease expires");
            Assert.That(next.Sent, Is.EqualTo(1), "the next run delivers it without waiting");
            Assert.That(Sink.Calls.Select(c => c.Answer), Is.EqualTo(new[] { SinkAnswer.Cancelled, SinkAnswer.Accepted }));
            Assert.That(Sink.Calls.Select(c => c.Identifier).Distinct().Count(), Is.EqualTo(1), "the same identifier");
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Sent));
        });
    }

    // Regression: reports a cancelled run claimed but never sent once kept the attempt their claim counted, and were
    // parked as unknown by a run more than 20 hours later although they never left the ledger.
    [Test]
    public async Task ReportAsync_CancelledWithClaimedReportsNotYetStarted_TheyAreDeliveredByALaterRunNotParkedUnknown()
    {
        string[] accounts = ["a0", "a1", "a2"];
        foreach (var account in accounts)
        {
            await MapAsync(account, "cus_" + account);
        }

        At(TimeSpan.FromMinutes(10));
        foreach (var account in accounts)
        {
            await Meter.IncrementAsync(account, 1);
        }

        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Block(new TaskCompletionSource().Task), times: 1);
        var reporter = CreateReporter(o => o.MaxConcurrency = 1);
        using var cancellation = new CancellationTokenSource();
        var running = reporter.ReportAsync(cancellation.Token);
        await Sink.WaitForStartedAsync(1).WaitAsync(HangGuard);
        await cancellation.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => running.WaitAsync(HangGuard));
        var inFlight = Sink.Calls.Single().Identifier;

        Clock.Advance(TimeSpan.FromHours(21)); // the host was stopped overnight
        var next = await CreateReporter().ReportAsync();

        var reports = await ReportsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(reports.Single(r => r.Identifier == inFlight).Status, Is.EqualTo(UsageReportStatus.Unknown), "the one in flight may have reached the back end");
            Assert.That(
                reports.Where(r => r.Identifier != inFlight).Select(r => r.Status),
                Is.All.EqualTo(UsageReportStatus.Sent),
                "reports that never reached the sink are safe to send");
            Assert.That(next.Sent, Is.EqualTo(2));
        });
    }
}
