namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// Reports that cannot be delivered are parked, visible and re-drivable, never dropped (DESIGN §5.2): failed for good
/// (permanent refusal, too old for Stripe) or unknown (unanswered past the safe resend window).
/// </summary>
public sealed class ParkedReportTests : ReportingTest
{
    [Test]
    public async Task ReportAsync_PermanentRefusal_ParksTheReportFailedWithTheSinksErrorAndNeverRetriesIt()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5, ApiCalls);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAccount("acct", SinkAction.Permanent("No such meter: 'api_calls'"));
        var reporter = CreateReporter();

        var run = await reporter.ReportAsync();
        At(TimeSpan.FromDays(2));
        var later = await reporter.ReportAsync();

        var report = await SingleReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(run.Failed, Is.EqualTo(1));
            Assert.That(run.Sent + run.WaitingForRetry + run.Unknown, Is.Zero);
            Assert.That(run.Failures.Select(f => (f.Id, f.Status, f.LastError, f.LastRequestId)), Is.EqualTo(new[] { (report.Id, UsageReportStatus.Failed, "No such meter: 'api_calls'", "req_1") }));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Failed));
            Assert.That(report.LastError, Is.EqualTo("No such meter: 'api_calls'"));
            Assert.That(report.LastRequestId, Is.EqualTo("req_1"));
            Assert.That(later.Failed + later.Sent, Is.Zero);
            Assert.That(Sink.Calls, Has.Count.EqualTo(1), "a failed report is not retried by later runs");
        });
    }

    [Test]
    public async Task RedriveAsync_FailedForAnUnmappedCustomerOnceMapped_NextRunDeliversTheSameIdentifier()
    {
        await MapAsync("mapped", "cus_2");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5); // "acct" has no mapping: billed, refused for want of a customer
        await Meter.IncrementAsync("mapped", 1);
        await Meter.IncrementAsync("mapped", 2, ApiCalls);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAccount("mapped", SinkAction.Permanent("Invalid API key"), times: 1);
        var reporter = CreateReporter();
        var run = await reporter.ReportAsync();
        var failed = await SingleReportAsync("acct");

        At(TimeSpan.FromHours(5));
        await MapAsync("acct", "cus_1");
        var redriven = await reporter.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Failed, Account = "acct" });
        var pending = await SingleReportAsync("acct");
        var next = await reporter.ReportAsync();

        var sent = await SingleReportAsync("acct");
        var others = await ReportsAsync("mapped");
        Assert.Multiple(() =>
        {
            Assert.That(run.Failed, Is.EqualTo(2));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(failed.Status, Is.EqualTo(UsageReportStatus.Failed));
            Assert.That(failed.LastError, Is.EqualTo(RecordingSink.NoCustomerError));
            Assert.That(redriven, Is.EqualTo(1), "only the account asked for");
            Assert.That(
                (pending.Status, pending.Attempts, pending.NextAttemptAt, pending.FirstAttemptAt),
                Is.EqualTo((UsageReportStatus.Pending, 0, Start.AddHours(5), (DateTimeOffset?)null)),
                "pending again, due now, attempts reset");
            Assert.That(next.Sent, Is.EqualTo(1));
            Assert.That(sent.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(sent.Identifier, Is.EqualTo(failed.Identifier));
            Assert.That(Sink.Calls.Where(c => c.Account == "acct").Select(c => (c.Identifier, c.CustomerId, c.Answer)), Is.EqualTo(new[]
            {
                (failed.Identifier, (string?)null, SinkAnswer.Permanent),
                (failed.Identifier, "cus_1", SinkAnswer.Accepted),
            }));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(5));
            Assert.That(others.Count(r => r.Status == UsageReportStatus.Failed), Is.EqualTo(1), "the other account's failed report is left alone");
        });
    }

    [Test]
    public async Task RedriveAsync_SentOrSkippedReports_AreNeverTouched()
    {
        await MapAsync("paid", "cus_1");
        await MapAsync("free", "cus_2", billable: false);
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("paid", 1);
        await Meter.IncrementAsync("free", 2);
        await Meter.IncrementAsync("refused", 3);
        At(TimeSpan.FromMinutes(65));
        var reporter = CreateReporter();
        await reporter.ReportAsync();
        var before = await ReportsAsync();

        At(TimeSpan.FromHours(2));
        var bySent = await reporter.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Sent });
        var bySkipped = await reporter.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Skipped });
        var byAccount = await reporter.RedriveAsync(new UsageReportQuery { Account = "paid" }) + await reporter.RedriveAsync(new UsageReportQuery { Account = "free" });
        var byId = await reporter.RedriveAsync(new UsageReportQuery { Id = before.Single(r => r.Account == "paid").Id });
        var untouched = await ReportsAsync();
        var all = await reporter.RedriveAsync(new UsageReportQuery());
        var after = await ReportsAsync();

        Assert.Multiple(() =>
        {
            Assert.That(before.Select(r => (r.Account, r.Status)), Is.EquivalentTo(new[]
            {
                ("paid", UsageReportStatus.Sent),
                ("free", UsageReportStatus.Skipped),
                ("refused", UsageReportStatus.Failed),
            }));
            Assert.That((bySent, bySkipped, byAccount, byId), Is.EqualTo((0, 0, 0, 0)));
            Assert.That(untouched, Is.EqualTo(before));
            Assert.That(all, Is.EqualTo(1), "only the failed one");
            Assert.That(after.Where(r => r.Account != "refused"), Is.EqualTo(before.Where(r => r.Account != "refused")));
            Assert.That(after.Single(r => r.Account == "refused").Status, Is.EqualTo(UsageReportStatus.Pending));
        });
    }

    [Test]
    public void RedriveAsync_And_ListReportsAsync_LimitBelowOne_Throw()
    {
        var reporter = CreateReporter();

        Assert.Multiple(() =>
        {
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => reporter.RedriveAsync(new UsageReportQuery { Limit = 0 }))!.ParamName, Is.EqualTo("query"));
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => reporter.ListReportsAsync(new UsageReportQuery { Limit = 0 }))!.ParamName, Is.EqualTo("query"));
        });
    }

    [Test]
    public async Task ReportAsync_UnansweredPastTheSafeResendWindow_ParksTheReportUnknownWithoutCallingTheSink()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        var firstAttempt = Start.AddMinutes(65);
        Clock.SetUtcNow(firstAttempt);
        Sink.ForAll(SinkAction.Transient("504 Gateway Timeout"));
        var reporter = CreateReporter();
        await reporter.ReportAsync();

        Clock.SetUtcNow(firstAttempt + TimeSpan.FromHours(19));
        var insideWindow = await reporter.ReportAsync();
        Clock.SetUtcNow(firstAttempt + TimeSpan.FromHours(20) + TimeSpan.FromMinutes(1));
        var pastWindow = await reporter.ReportAsync();
        Clock.Advance(TimeSpan.FromHours(3));
        var later = await reporter.ReportAsync();

        var unknown = await ReportsAsync(status: UsageReportStatus.Unknown);
        Assert.Multiple(() =>
        {
            Assert.That(insideWindow.WaitingForRetry, Is.EqualTo(1), "resent inside the window");
            Assert.That(pastWindow.Unknown, Is.EqualTo(1));
            Assert.That(pastWindow.WaitingForRetry + pastWindow.Sent + pastWindow.Failed, Is.Zero);
            Assert.That(pastWindow.Failures.Select(f => f.Status), Is.EqualTo(new[] { UsageReportStatus.Unknown }));
            Assert.That(later.Unknown + later.WaitingForRetry, Is.Zero);
            Assert.That(Sink.Calls, Has.Count.EqualTo(2), "not sent once past the window");
            Assert.That(unknown, Has.Count.EqualTo(1));
            Assert.That(unknown[0].Attempts, Is.EqualTo(3));
            Assert.That(unknown[0].FirstAttemptAt, Is.EqualTo(firstAttempt));
            Assert.That(unknown[0].LastError, Does.Contain("first attempt").And.Contain("Reconcile"));
            Assert.That(unknown[0].LastError, Is.EqualTo(pastWindow.Failures[0].LastError));
        });
    }

    [Test]
    public async Task RedriveAsync_UnknownReport_BecomesDeliverableAgain()
    {
        await MapAsync("acct", "cus_1");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("acct", 5);
        At(TimeSpan.FromMinutes(65));
        Sink.ForAll(SinkAction.Transient());
        var reporter = CreateReporter();
        await reporter.ReportAsync();
        Clock.Advance(TimeSpan.FromHours(21));
        await reporter.ReportAsync();
        var parked = await SingleReportAsync();

        Sink.ClearRules();
        var redriven = await reporter.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Unknown });
        var run = await reporter.ReportAsync();

        var sent = await SingleReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(parked.Status, Is.EqualTo(UsageReportStatus.Unknown));
            Assert.That(redriven, Is.EqualTo(1));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(sent.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(sent.Attempts, Is.EqualTo(1), "attempts start afresh, so the window does not park it again");
            Assert.That(sent.Identifier, Is.EqualTo(parked.Identifier));
            Assert.That(Sink.Total("cus_1", Usage), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task ReportAsync_UsageOlderThanStripeAcceptsAtDelivery_IsParkedFailedNotDropped()
    {
        await MapAsync("acct", "cus_1");
        var old = Start - TimeSpan.FromDays(29);
        var young = Start - TimeSpan.FromDays(28) - TimeSpan.FromHours(22);
        await Meter.IncrementAsync("acct", 4, timestamp: old); // within MaxBackdate when recorded
        await Meter.IncrementAsync("acct", 6, timestamp: young);
        Clock.Advance(TimeSpan.FromDays(6)); // the host's reporting was down for six days

        var run = await CreateReporter().ReportAsync();

        var reports = await ReportsAsync();
        var tooOld = reports.Single(r => r.BucketStart == old);
        var local = await LocalAsync("acct", Usage);
        Assert.Multiple(() =>
        {
            Assert.That(run.Failed, Is.EqualTo(1));
            Assert.That(run.Sent, Is.EqualTo(1), "34 days 22 hours old is still accepted");
            Assert.That(run.Failures.Select(f => f.Id), Is.EqualTo(new[] { tooOld.Id }));
            Assert.That(tooOld.Status, Is.EqualTo(UsageReportStatus.Failed));
            Assert.That(tooOld.Quantity, Is.EqualTo(4));
            Assert.That(tooOld.LastError, Does.Contain("35 days"));
            Assert.That(reports.Single(r => r.BucketStart == young).Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(Sink.Calls.Select(c => c.BucketStart), Is.EqualTo(new[] { young }), "the sink never gets usage Stripe would refuse");
            Assert.That(local, Is.EqualTo(new MeterUsage(Usage, 10) { SentQuantity = 6, FailedQuantity = 4 }), "closed, not lost: the failed report holds its part");
        });
    }
}
