using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Corrections;

/// <summary>
/// Corrections end to end (DESIGN §9), on SQLite and PostgreSQL, with the Stripe stand-in over loopback HTTP: every
/// scenario asserts what Stripe bills exactly.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class CorrectionTests<TFixture> : CorrectionTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task CorrectAsync_UnreportedUsage_IsCorrectedBeforeItIsReported()
    {
        await RecordAsync(10);

        var correction = await CorrectAsync(-4, "fix-1");
        var run = await RunAsync(CreateReporter());

        Note("unreported usage 10, correction -4", 6, StripeTotal);
        var reports = await ReportsAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.EqualTo(6));
            Assert.That(correction.FromUnreported, Is.EqualTo(-4));
            Assert.That(correction.FromUnsentReports + correction.CancelledAndResent + correction.NeedsCredit + correction.AwaitingCancellation, Is.Zero);
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(reports.Select(r => (r.Status, r.Quantity)), Is.EqualTo(new[] { (UsageReportStatus.Sent, 6L) }));
            Assert.That(Adjustments(), Is.Zero, "nothing to cancel: nothing was sent for it");
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 6) { SentQuantity = 6 }));
        });
    }

    [Test]
    public async Task CorrectAsync_ClosedButUnsentReport_IsCorrectedLocallyAndNeverSentAsItWas()
    {
        await RecordAsync(10);
        Clock.SetUtcNow(Start + TimeSpan.FromHours(1));
        var closed = await Store.Reports.CloseAsync(
            [new ReportClosing(Account, ApiCalls, Start.AddMinutes(-15), Start.AddMinutes(45), null) { ApplyStoredPlan = true }],
            Clock.GetUtcNow());

        var correction = await CorrectAsync(-4, "fix-1");
        var run = await RunAsync(CreateReporter());

        Note("closed unsent report 10, correction -4", 6, StripeTotal);
        var reports = await ReportsAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.EqualTo(6));
            Assert.That(correction.FromUnsentReports, Is.EqualTo(-4));
            Assert.That(correction.FromUnreported, Is.Zero);
            Assert.That(reports.Select(r => (r.Status, r.Quantity)), Is.EqualTo(new[] { (UsageReportStatus.Cancelled, 10L), (UsageReportStatus.Sent, 6L) }));
            Assert.That(reports[1].Identifier, Is.Not.EqualTo(closed.Single().Identifier));
            Assert.That(Stripe.AcceptedIdentifiers, Does.Not.Contain(closed.Single().Identifier), "the report as it was never left the ledger");
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(Adjustments(), Is.Zero);
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 6) { SentQuantity = 6 }));
        });
    }

    [Test]
    public async Task CorrectAsync_ClosedButUnsentReportTakenBackWhole_SendsNothing()
    {
        await RecordAsync(10);
        Clock.SetUtcNow(Start + TimeSpan.FromHours(1));
        await Store.Reports.CloseAsync([new ReportClosing(Account, ApiCalls, Start.AddMinutes(-15), Start.AddMinutes(45), null) { ApplyStoredPlan = true }], Clock.GetUtcNow());

        await CorrectAsync(-10, "fix-1");
        var run = await RunAsync(CreateReporter());

        Note("closed unsent report 10, correction -10", 0, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.Zero);
            Assert.That(Stripe.CountRequests("POST", MeterEventsPath), Is.Zero);
            Assert.That(run.Sent, Is.Zero);
            Assert.That((await ReportsAsync()).Select(r => r.Status), Is.EqualTo(new[] { UsageReportStatus.Cancelled }));
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 0)));
        });
    }

    [TestCase(StripeUsageApi.MeterEvents)]
    [TestCase(StripeUsageApi.MeterEventStream)]
    public async Task CorrectAsync_ReportedWithinStripesWindow_CancelsTheEventAndResendsTheRestUnderANewIdentifier(StripeUsageApi api)
    {
        var reporter = CreateReporter(CreateSink(api));
        await RecordAsync(10);
        await RunAsync(reporter);
        var sent = (await ReportsAsync()).Single();
        Assert.That(StripeTotal, Is.EqualTo(10));

        Clock.Advance(TimeSpan.FromHours(20));
        var correction = await CorrectAsync(-3, "fix-1");
        var run = await RunAsync(reporter);

        Note($"sent 10 via {api}, correction -3 after 20 h", 7, StripeTotal);
        var reports = await ReportsAsync();
        var listed = (await CorrectionsAsync()).Single();
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.EqualTo(7));
            Assert.That(correction.AwaitingCancellation, Is.EqualTo(-3), "handed to the reporter");
            Assert.That(listed.CancelledAndResent, Is.EqualTo(-3));
            Assert.That(listed.AwaitingCancellation, Is.Zero);
            Assert.That(run.Cancelled, Is.EqualTo(1));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(Adjustments(), Is.EqualTo(1));
            Assert.That(Stripe.MeterEvents.Single(e => e.Identifier == sent.Identifier).IsCancelled, Is.True);
            var resent = reports.Single(r => r.Status == UsageReportStatus.Sent);
            Assert.That(resent.Quantity, Is.EqualTo(7));
            Assert.That(resent.Identifier, Is.Not.EqualTo(sent.Identifier));
            Assert.That(reports.Single(r => r.Id == sent.Id).Status, Is.EqualTo(UsageReportStatus.Cancelled));
            Assert.That(reports.Single(r => r.Status == UsageReportStatus.Cancelled && r.Id != sent.Id).Quantity, Is.EqualTo(3), "the correction's part, applied");
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 7) { SentQuantity = 7 }));
        });
    }

    [Test]
    public async Task CorrectAsync_ReportedOutsideStripesWindow_ParksTheAmountAsNeedingACredit()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);

        Clock.Advance(TimeSpan.FromHours(25));
        var correction = await CorrectAsync(-3, "fix-1");
        var run = await RunAsync(reporter);
        var again = await RunAsync(reporter);

        Note("sent 10, correction -3 after 25 h (needs credit 3)", 10, StripeTotal);
        var credits = await Store.Reports.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.NeedsCredit });
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.EqualTo(10), "Stripe's total is unchanged");
            Assert.That(Adjustments(), Is.Zero, "past the window nothing is asked");
            Assert.That(run.NeedsCredit, Is.EqualTo(1));
            Assert.That(run.Failures.Select(r => (r.Status, r.Quantity)), Is.EqualTo(new[] { (UsageReportStatus.NeedsCredit, 3L) }));
            Assert.That(again.NeedsCredit, Is.Zero, "counted once");
            Assert.That(credits.Select(r => r.Quantity), Is.EqualTo(new[] { 3L }));
            Assert.That(credits[0].LastError, Does.Contain("Credit this amount"));
            Assert.That((await CorrectionsAsync()).Single().NeedsCredit, Is.EqualTo(-3));
            Assert.That(correction.AwaitingCancellation, Is.EqualTo(-3));
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 7) { SentQuantity = 7 }));
            Assert.That(await Store.Reports.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.NeedsCredit }, Clock.GetUtcNow()), Is.Zero, "never re-driven");
        });
    }

    [Test]
    public async Task CorrectAsync_ReportedMoreThan23HoursAgo_ParksAsCreditThoughStripeCouldStillCancel()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        var run = await RunAsync(reporter);
        var firstAttempt = (await ReportsAsync()).Single().FirstAttemptAt!.Value;

        // Inside Stripe's 24 hours, past the 23 the reporter allows itself: the hour is the safety margin.
        Clock.SetUtcNow(firstAttempt + TimeSpan.FromHours(23) + TimeSpan.FromMinutes(1));
        await CorrectAsync(-3, "fix-1");
        var late = await reporter.ReportAsync();

        Note("sent 10, correction -3 at 23 h 01 min (needs credit 3)", 10, StripeTotal);
        Assert.Multiple(() =>
        {
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(late.NeedsCredit, Is.EqualTo(1));
            Assert.That(Adjustments(), Is.Zero);
            Assert.That(StripeTotal, Is.EqualTo(10));
        });
    }

    [Test]
    public async Task CorrectAsync_CancellationRefusedForGood_ParksTheAmountAsNeedingACredit()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);
        Stripe.Faults.Add("POST", AdjustmentsPath, StripeFault.Status(400, "invalid_request_error", "This event cannot be cancelled."));

        Clock.Advance(TimeSpan.FromHours(1));
        await CorrectAsync(-3, "fix-1");
        var run = await RunAsync(reporter);

        Note("sent 10, correction -3, cancel refused (needs credit 3)", 10, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.EqualTo(10));
            Assert.That(Adjustments(), Is.EqualTo(1));
            Assert.That(run.NeedsCredit, Is.EqualTo(1));
            Assert.That(run.Cancelled, Is.Zero);
            Assert.That(run.Failures.Single().LastError, Does.Contain("This event cannot be cancelled."));
            Assert.That((await ReportsAsync(UsageReportStatus.NeedsCredit)).Single().Quantity, Is.EqualTo(3));
            Assert.That((await ReportsAsync(UsageReportStatus.Sent)).Single().Quantity, Is.EqualTo(10), "nothing resent");
        });
    }

    [Test]
    public async Task CorrectAsync_CancellationLandedButItsAnswerWasLostAndTheWindowPassed_IsAskedAgainAndStripesReplayApplies()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);
        var firstAttempt = (await ReportsAsync()).Single().FirstAttemptAt!.Value;

        // 22 h after the event Stripe cancels it, but the answer never arrives.
        Clock.SetUtcNow(firstAttempt + TimeSpan.FromHours(22));
        await CorrectAsync(-3, "fix-1");
        Stripe.Faults.FailNext("POST", AdjustmentsPath, StripeFault.DropConnection(), timing: FaultTiming.AfterProcessing);
        var lost = await RunAsync(reporter);
        Assert.That(StripeTotal, Is.Zero, "Stripe cancelled the event although the reporter does not know it yet");

        // Past Stripe's own 24 hours: a fresh cancel would be refused, but Stripe replays the first one's answer.
        Clock.SetUtcNow(firstAttempt + TimeSpan.FromHours(24) + TimeSpan.FromMinutes(30));
        var late = await RunAsync(reporter);

        Note("sent 10, correction -3 at 22 h, cancel answer lost, asked again at 24 h 30 min", 7, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(lost.WaitingForRetry, Is.EqualTo(1));
            Assert.That(late.Cancelled, Is.EqualTo(1));
            Assert.That(late.NeedsCredit, Is.Zero, "no credit for usage Stripe already dropped");
            Assert.That(StripeTotal, Is.EqualTo(7), "the corrected remainder is billed");
            Assert.That(await ReportsAsync(UsageReportStatus.NeedsCredit), Is.Empty);
        });
    }

    [Test]
    public async Task CorrectAsync_CancellationFailingTransiently_IsAskedAgainAndThenApplied()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);
        Stripe.Faults.FailNext("POST", AdjustmentsPath, StripeFault.ServerError(503));

        Clock.Advance(TimeSpan.FromHours(1));
        await CorrectAsync(-3, "fix-1");
        var first = await RunAsync(reporter);
        Assert.That(StripeTotal, Is.EqualTo(10), "nothing resent before the cancellation");
        Clock.Advance(TimeSpan.FromMinutes(10));
        var second = await RunAsync(reporter);

        Note("sent 10, correction -3, cancel 503 then retried", 7, StripeTotal);
        Assert.Multiple(() =>
        {
            Assert.That(first.WaitingForRetry, Is.EqualTo(1));
            Assert.That(first.Sent, Is.Zero);
            Assert.That(second.Cancelled, Is.EqualTo(1));
            Assert.That(StripeTotal, Is.EqualTo(7));
        });
    }

    [Test]
    public async Task CorrectAsync_PositiveDelta_AddsUsageReportedLikeAnyOther()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);

        var correction = await CorrectAsync(5, "fix-1", "Usage lost by a failed worker");
        await RunAsync(reporter);

        Note("sent 10, correction +5", 15, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(StripeTotal, Is.EqualTo(15));
            Assert.That(correction.FromUnreported, Is.EqualTo(5));
            Assert.That(correction.Delta, Is.EqualTo(5));
            Assert.That((await ReportsAsync(UsageReportStatus.Sent)).Select(r => r.Quantity), Is.EqualTo(new[] { 10L, 5L }));
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 15) { SentQuantity = 15 }));
        });
    }

    [Test]
    public async Task CorrectAsync_BelowZero_IsRefusedNamingDeltaAndChangesNothing()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);
        await RecordAsync(2);

        var ex = Assert.ThrowsAsync<UsageInputException>(() => CorrectAsync(-13, "fix-1"));
        var run = await RunAsync(reporter, TimeSpan.FromHours(2));

        Note("sent 10 + 2, correction -13 refused", 12, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("delta"));
            Assert.That(ex.Message, Does.Contain("below zero").And.Contain("12"));
            Assert.That(await CorrectionsAsync(), Is.Empty);
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 12) { SentQuantity = 12 }));
            Assert.That(run.Cancelled + run.NeedsCredit, Is.Zero);
            Assert.That(StripeTotal, Is.EqualTo(12));
            Assert.That((await ReportsAsync()).Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
        });
    }

    [Test]
    public async Task CorrectAsync_OfAnEmptyCounter_IsRefusedAndStoresNothing()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => CorrectAsync(-1, "fix-1"));

        Assert.Multiple(async () =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("delta"));
            Assert.That(await CorrectionsAsync(), Is.Empty);
            Assert.That((await Meter.GetSeriesAsync(Account, Start.AddDays(-1), Start.AddDays(1), ApiCalls)), Is.Empty);
        });
    }

    [Test]
    public async Task CorrectAsync_SameKeyTwice_CountsOnce()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);

        var first = await CorrectAsync(-3, "fix-1");
        await RunAsync(reporter);
        var second = await CorrectAsync(-3, "fix-1");
        var run = await RunAsync(reporter);

        Note("sent 10, correction -3 sent twice under one key", 7, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(first.IsRepeat, Is.False);
            Assert.That(second.IsRepeat, Is.True);
            Assert.That(second.Id, Is.EqualTo(first.Id));
            Assert.That(second.Delta, Is.EqualTo(-3));
            Assert.That(await CorrectionsAsync(), Has.Count.EqualTo(1));
            Assert.That(run.Cancelled + run.Sent, Is.Zero, "the repeat applied nothing");
            Assert.That(StripeTotal, Is.EqualTo(7));
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 7) { SentQuantity = 7 }));
        });
    }

    [Test]
    public async Task CorrectAsync_BadInputs_AreRefusedNamingTheArgumentAndStoreNothing()
    {
        await RecordAsync(10);

        var emptyReason = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, ApiCalls, Start, string.Empty, "k1"));
        var blankReason = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, ApiCalls, Start, "\u200B ", "k1"));
        var longReason = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, ApiCalls, Start, new string('r', 501), "k1"));
        var zero = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, 0, ApiCalls, Start, "why", "k1"));
        var huge = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -(Billing.MaxIncrementQuantity + 1), ApiCalls, Start, "why", "k1"));
        var unknownMeter = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, "no_such_meter", Start, "why", "k1"));
        var missingKey = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, ApiCalls, Start, "why", null!));
        var emptyKey = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, ApiCalls, Start, "why", string.Empty));
        var badAccount = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(string.Empty, -1, ApiCalls, Start, "why", "k1"));
        var tooOld = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, ApiCalls, Start.AddDays(-31), "why", "k1"));
        var future = Assert.ThrowsAsync<UsageInputException>(() => Meter.CorrectAsync(Account, -1, ApiCalls, Start.AddMinutes(6), "why", "k1"));

        Assert.Multiple(async () =>
        {
            Assert.That(emptyReason!.ParamName, Is.EqualTo("reason"));
            Assert.That(emptyReason.Message, Does.Contain("1 to 500 characters"));
            Assert.That(blankReason!.ParamName, Is.EqualTo("reason"));
            Assert.That(longReason!.ParamName, Is.EqualTo("reason"));
            Assert.That(zero!.ParamName, Is.EqualTo("delta"));
            Assert.That(zero.Message, Does.Contain("must not be 0"));
            Assert.That(huge!.ParamName, Is.EqualTo("delta"));
            Assert.That(unknownMeter!.ParamName, Is.EqualTo("meter"));
            Assert.That(unknownMeter.Message, Does.Contain("not a declared meter"));
            Assert.That(missingKey!.ParamName, Is.EqualTo("idempotencyKey"));
            Assert.That(emptyKey!.ParamName, Is.EqualTo("idempotencyKey"));
            Assert.That(badAccount!.ParamName, Is.EqualTo("account"));
            Assert.That(tooOld!.ParamName, Is.EqualTo("timestamp"));
            Assert.That(future!.ParamName, Is.EqualTo("timestamp"));
            Assert.That(await CorrectionsAsync(), Is.Empty);
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 10) { PendingQuantity = 10 }));
        });
    }

    [Test]
    public async Task CorrectAsync_RacingAReportRunWithTheReportInFlight_IsAppliedOnceItIsSent()
    {
        var gate = new GatedSink(CreateSink());
        var reporter = CreateReporter(gate);
        await RecordAsync(10);

        var running = RunAsync(reporter);
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        var leased = (await ReportsAsync()).Single();
        var correction = await CorrectAsync(-3, "fix-1");
        gate.Release();
        var raced = await running;
        var afterRace = StripeTotal;
        Clock.Advance(TimeSpan.FromMinutes(5));
        var next = await RunAsync(reporter);

        Note("correction -3 while report 10 in flight", 7, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(leased.Status, Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(leased.Attempts, Is.EqualTo(1), "claimed: leased and in flight");
            Assert.That(correction.AwaitingCancellation, Is.EqualTo(-3), "the report in flight is left to the reporter");
            Assert.That(raced.Sent, Is.EqualTo(1), "the report in flight was delivered as it was");
            Assert.That(afterRace, Is.EqualTo(10));
            Assert.That(next.Cancelled, Is.EqualTo(1));
            Assert.That(next.Sent, Is.EqualTo(1));
            Assert.That(StripeTotal, Is.EqualTo(7));
            Assert.That(Stripe.AcceptedIdentifiers, Has.Count.EqualTo(2));
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 7) { SentQuantity = 7 }));
        });
    }

    [Test]
    public async Task CorrectAsync_OfAReportHandedBackUnsent_AppliesTheCorrectionsMadeWhileItWasClaimed()
    {
        await RecordAsync(10);
        Clock.SetUtcNow(Start + TimeSpan.FromHours(1));
        await Store.Reports.CloseAsync([new ReportClosing(Account, ApiCalls, Start.AddMinutes(-15), Start.AddMinutes(45), null) { ApplyStoredPlan = true }], Clock.GetUtcNow());
        var now = Clock.GetUtcNow();
        var claimed = (await Store.Reports.ClaimDueAsync(new ReportClaim("reporter-1", now, now.AddMinutes(5), 10))).Single();

        var whileClaimed = await CorrectAsync(-3, "fix-1");
        await Store.Reports.CompleteAsync([new ReportCompletion(claimed.Id, "reporter-1", UsageReportStatus.Pending, now) { NextAttemptAt = now, NotAttempted = true }]);
        var afterHandBack = await CorrectAsync(-2, "fix-2");
        var run = await RunAsync(CreateReporter());

        Note("closed 10, claimed; -3 while claimed, handed back unsent; -2", 5, StripeTotal);
        Assert.Multiple(async () =>
        {
            Assert.That(whileClaimed.AwaitingCancellation, Is.EqualTo(-3), "a claimed report is never changed under its reporter");
            Assert.That(afterHandBack.FromUnsentReports, Is.EqualTo(-2));
            Assert.That(StripeTotal, Is.EqualTo(5));
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(Adjustments(), Is.Zero, "nothing of it ever reached Stripe");
            Assert.That(await ReportsAsync(UsageReportStatus.Cancelling), Is.Empty);
            Assert.That((await CorrectionsAsync()).Sum(c => c.AwaitingCancellation), Is.Zero);
            Assert.That(await LocalAsync(), Is.EqualTo(new MeterUsage(ApiCalls, 5) { SentQuantity = 5 }));
        });
    }

    [Test]
    public async Task CorrectAsync_AfterTheEventWasCancelled_LaterUsageGetsANewIdentifier()
    {
        var reporter = CreateReporter();
        await RecordAsync(10);
        await RunAsync(reporter);
        await CorrectAsync(-10, "fix-1");
        var cancelled = await RunAsync(reporter);

        // The same usage again: closed with the same reported-before and quantity as the cancelled report.
        await RecordAsync(10);
        Clock.Advance(TimeSpan.FromMinutes(5));
        var run = await RunAsync(reporter);

        Note("sent 10, correction -10, then 10 again", 10, StripeTotal);
        Assert.Multiple(() =>
        {
            Assert.That(cancelled.Cancelled, Is.EqualTo(1));
            Assert.That(cancelled.Sent, Is.Zero, "nothing left to resend");
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(StripeTotal, Is.EqualTo(10), "not dropped as a duplicate of the cancelled event");
        });
    }

    [Test]
    public async Task ListCorrectionsAsync_ByMeterAndPeriod_FiltersAndPages()
    {
        await RecordAsync(10);
        await Meter.IncrementAsync(Account, 5, ApiCalls, timestamp: Start.AddHours(-2));
        var a = await CorrectAsync(-1, "k1");
        var b = await Meter.CorrectAsync(Account, -2, ApiCalls, Start.AddHours(-2), "older bucket", "k2");
        var c = await CorrectAsync(3, "k3");

        var page1 = await Meter.ListCorrectionsAsync(new UsageCorrectionQuery { Account = Account, Limit = 2 });
        var page2 = await Meter.ListCorrectionsAsync(new UsageCorrectionQuery { Account = Account, AfterId = page1[^1].Id, Limit = 2 });
        var thisHour = await Meter.ListCorrectionsAsync(new UsageCorrectionQuery { Account = Account, Meter = ApiCalls, PeriodStart = Start.AddMinutes(-15), PeriodEnd = Start.AddMinutes(45) });
        var otherMeter = await Meter.ListCorrectionsAsync(new UsageCorrectionQuery { Meter = "usage" });

        Assert.Multiple(() =>
        {
            Assert.That(page1.Select(x => x.Id).Concat(page2.Select(x => x.Id)), Is.EqualTo(new[] { a.Id, b.Id, c.Id }));
            Assert.That(thisHour.Select(x => x.Id), Is.EqualTo(new[] { a.Id, c.Id }));
            Assert.That(otherMeter, Is.Empty);
            Assert.That(page1[0], Is.EqualTo(a), "listed as returned");
            Assert.That(b.BucketStart, Is.EqualTo(Start.AddMinutes(-15).AddHours(-2)));
            Assert.That(b.Reason, Is.EqualTo("older bucket"));
            Assert.That(b.IdempotencyKey, Is.EqualTo("k2"));
            Assert.That(b.CreatedAt, Is.EqualTo(Start));
        });
    }

    /// <summary>A sink that holds the first delivery until released, so that a test can act while a report is in flight.</summary>
    private sealed class GatedSink(IUsageSink inner) : IUsageSink
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _release.TrySetResult();

        public async Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
        {
            _entered.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
            return await inner.DeliverAsync(delivery, cancellationToken);
        }

        public Task<DeliveryResult> CancelAsync(UsageDelivery delivery, CancellationToken cancellationToken = default) =>
            inner.CancelAsync(delivery, cancellationToken);
    }
}
