using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Reconciliation;

/// <summary>
/// The scenario of the reconciliation issue, on every provider: reports parked unknown after the stand-in accepted
/// one and dropped another, reconciled from Stripe's hourly meter event summaries, with reporter runs between.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class ReconciliationScenarioTests<TFixture> : ReconciliationTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task ReconcileAsync_OneUnknownReportAcceptedOneDropped_MarksTheFirstSentAndResendsTheSecondExactlyOnce()
    {
        await MapAsync("acct_1", "cus_1");
        await MapAsync("acct_2", "cus_2");
        var accepted = await ParkUnknownAsync("acct_1", 10, FaultTiming.AfterProcessing);
        var dropped = await ParkUnknownAsync("acct_2", 7, FaultTiming.BeforeProcessing);
        Assert.That((StripeTotal("cus_1"), StripeTotal("cus_2")), Is.EqualTo((10L, 0L)), "Stripe counted the first, never saw the second");

        var first = await ReconcileAsync();
        Note(ReconciliationText.Format(first));
        Assert.That(first.Actions.Select(a => (a.Kind, a.ReportId)), Is.EquivalentTo(new[]
        {
            (UsageReconciliationActionKind.MarkedSent, accepted.Id),
            (UsageReconciliationActionKind.Resent, dropped.Id),
        }));
        Assert.That(first.Rows.Select(r => (r.Account, r.State, r.LocalTotal, r.StripeTotal)), Is.EqualTo(new[]
        {
            ("acct_1", UsageReconciliationRowState.Resolved, 0L, 10m),
            ("acct_2", UsageReconciliationRowState.Resolved, 0L, 0m),
        }));
        var replacement = first.Actions.Single(a => a.Kind == UsageReconciliationActionKind.Resent);

        // Run again before the reporter: nothing is resolved twice.
        var second = await ReconcileAsync();
        Assert.That(second.Actions, Is.Empty);
        Assert.That(second.IsClean, Is.True, ReconciliationText.Format(second));

        var run = await RunAsync();
        Assert.That(run.Sent, Is.EqualTo(1), "the replacement is delivered");
        Clock.Advance(TimeSpan.FromHours(2));
        var third = await ReconcileAsync();
        var again = await RunAsync();
        Note(ReconciliationText.Format(third));

        Assert.Multiple(() =>
        {
            Assert.That(third.Actions, Is.Empty);
            Assert.That(third.IsClean, Is.True, ReconciliationText.Format(third));
            Assert.That(third.Rows.Select(r => (r.LocalTotal, r.StripeTotal)), Is.EqualTo(new[] { (10L, 10m), (7L, 7m) }));
            Assert.That(again.Sent, Is.Zero);
            Assert.That(StripeTotal("cus_1"), Is.EqualTo(10));
            Assert.That(StripeTotal("cus_2"), Is.EqualTo(7));
            Assert.That(Stripe.CountAcceptedIdentifier(accepted.Identifier), Is.EqualTo(1));
            Assert.That(Stripe.CountAcceptedIdentifier(replacement.NewIdentifier!), Is.EqualTo(1));
            Assert.That(Stripe.MeterEvents.Count(e => e.CustomerId == "cus_2"), Is.EqualTo(1), "the dropped usage is billed exactly once");
        });
        var reports = await ReportsAsync("acct_2");
        Assert.That(reports.Select(r => (r.Identifier, r.Status)), Is.EqualTo(new[]
        {
            (dropped.Identifier, UsageReportStatus.Cancelled),
            (replacement.NewIdentifier!, UsageReportStatus.Sent),
        }));
    }

    [Test]
    public async Task ReconcileAsync_TwoReconcilersAtOnce_ResolveEachUnknownReportOnce()
    {
        await MapAsync("acct_1", "cus_1");
        await MapAsync("acct_2", "cus_2");
        await ParkUnknownAsync("acct_1", 10, FaultTiming.AfterProcessing);
        await ParkUnknownAsync("acct_2", 7, FaultTiming.BeforeProcessing);

        var both = await Task.WhenAll(ReconcileAsync(), ReconcileAsync());
        var actions = both.SelectMany(r => r.Actions).ToList();
        await RunAsync();
        await RunAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(actions.Count(a => a.Kind == UsageReconciliationActionKind.MarkedSent), Is.EqualTo(1));
            Assert.That(actions.Count(a => a.Kind == UsageReconciliationActionKind.Resent), Is.EqualTo(1));
            Assert.That((await ReportsAsync("acct_2")).Count, Is.EqualTo(2), "one replacement, however many reconcilers decided");
            Assert.That(StripeTotal("cus_2"), Is.EqualTo(7));
        });
    }

    [Test]
    public async Task ReconcileAsync_UnknownReportsOfEqualQuantityInOneHour_ResolvesNothingAndSaysAmbiguous()
    {
        await MapAsync("acct_1", "cus_1");
        Assert.That(await Meter.IncrementAsync("acct_1", 5, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.DropConnection(), timing: FaultTiming.AfterProcessing);
        await RunAsync(at: Start.AddHours(1));

        // A second report of 5 in the same hour; it and the first one's retry never reach Stripe.
        Assert.That(await Meter.IncrementAsync("acct_1", 5, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.DropConnection(), count: 2);
        Clock.Advance(TimeSpan.FromHours(1));
        await RunAsync();
        Clock.Advance(TimeSpan.FromHours(21));
        await RunAsync();
        var unknown = (await ReportsAsync("acct_1")).Where(r => r.Status == UsageReportStatus.Unknown).ToList();
        Assert.That(unknown, Has.Count.EqualTo(2));

        var report = await ReconcileAsync();
        Note(ReconciliationText.Format(report));

        Assert.Multiple(async () =>
        {
            Assert.That(report.Actions, Is.Empty, "the evidence cannot tell which one landed");
            Assert.That(report.Rows.Single().State, Is.EqualTo(UsageReconciliationRowState.Ambiguous));
            Assert.That(report.Rows.Single().UnknownReportIds, Is.EquivalentTo(unknown.Select(r => r.Id)));
            Assert.That(report.UnresolvedCount, Is.EqualTo(1));
            Assert.That(report.IsClean, Is.False);
            Assert.That((await ReportsAsync("acct_1")).Count(r => r.Status == UsageReportStatus.Unknown), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task ReconcileAsync_WithinTheSettleTime_LeavesUnknownReportsUnsettled()
    {
        await MapAsync("acct_1", "cus_1");
        var unknown = await ParkUnknownAsync("acct_1", 10, FaultTiming.BeforeProcessing);

        var report = await CreateReconciler(new UsageReconciliationOptions { SettleTime = TimeSpan.FromDays(7) }).ReconcileAsync(Day, Day.AddDays(1));

        Assert.Multiple(async () =>
        {
            Assert.That(report.Rows.Single().State, Is.EqualTo(UsageReconciliationRowState.Unsettled));
            Assert.That(report.Actions, Is.Empty);
            Assert.That((await ReportsAsync("acct_1")).Single().Status, Is.EqualTo(UsageReportStatus.Unknown));
            Assert.That(unknown.Status, Is.EqualTo(UsageReportStatus.Unknown));
        });
    }

    [Test]
    public async Task ReconcileAsync_AsynchronousMeterError_MarksTheReportFailedWithStripesReason()
    {
        await MapAsync("acct_3", "cus_3");
        Assert.That(await Meter.IncrementAsync("acct_3", 4, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));

        // The first attempt is dropped, so the report's identifier is known before Stripe sees it.
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.DropConnection());
        await RunAsync(at: Start.AddHours(1));
        var report = (await ReportsAsync("acct_3")).Single();
        Stripe.RejectMeterEventAsynchronously(report.Identifier, "meter_event_customer_not_found", "No such customer: 'cus_3'.");
        Clock.Advance(TimeSpan.FromHours(1));
        Assert.That((await RunAsync()).Sent, Is.EqualTo(1), "Stripe answered 200");
        Clock.Advance(TimeSpan.FromHours(2));

        var reconciled = await ReconcileAsync();
        var again = await ReconcileAsync();
        var failed = (await ReportsAsync("acct_3")).Single();

        Assert.Multiple(() =>
        {
            Assert.That(reconciled.Actions.Select(a => (a.Kind, a.ReportId)), Is.EqualTo(new[] { (UsageReconciliationActionKind.MarkedFailed, report.Id) }));
            Assert.That(failed.Status, Is.EqualTo(UsageReportStatus.Failed));
            Assert.That(failed.LastError, Does.Contain("meter_event_customer_not_found").And.Contain("No such customer"));
            Assert.That(reconciled.Rows.Single().State, Is.EqualTo(UsageReconciliationRowState.Matched), "a failed report counts 0, as at Stripe");
            Assert.That(again.Actions, Is.Empty);
            Assert.That(StripeTotal("cus_3"), Is.Zero);
        });
    }

    [Test]
    public async Task ReconcileAsync_GaugeAndCorrectedReport_ReconcileClean()
    {
        await MapAsync("acct_4", "cus_4");
        Assert.That(await Meter.IncrementAsync("acct_4", 10, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Assert.That(await Meter.SetAsync("acct_4", 12, Seats, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        await RunAsync(at: Start.AddHours(1));
        await Meter.CorrectAsync("acct_4", -3, ApiCalls, Start, "Refund of a failed job", "fix-1");
        await RunAsync();
        Clock.Advance(TimeSpan.FromHours(2));

        var report = await ReconcileAsync();
        Note(ReconciliationText.Format(report));
        var reports = await ReportsAsync("acct_4");

        Assert.Multiple(() =>
        {
            Assert.That(reports.Any(r => r.Status == UsageReportStatus.Cancelled), Is.True, "the corrected event was cancelled at Stripe");
            Assert.That(report.IsClean, Is.True, ReconciliationText.Format(report));
            Assert.That(report.Actions, Is.Empty);
            Assert.That(report.Rows.Select(r => (r.Meter, r.State, r.LocalTotal, r.StripeTotal)), Is.EqualTo(new[]
            {
                (ApiCalls, UsageReconciliationRowState.Matched, 7L, 7m),
                (Seats, UsageReconciliationRowState.Matched, 12L, 12m),
            }));
            Assert.That(StripeTotal("cus_4"), Is.EqualTo(7));
        });
    }

    [Test]
    public async Task ReconcileAsync_DroppedReportWithACorrectionWaiting_ResendsWhatTheCorrectionLeft()
    {
        await MapAsync("acct_1", "cus_1");
        var dropped = await ParkUnknownAsync("acct_1", 10, FaultTiming.BeforeProcessing);
        await Meter.CorrectAsync("acct_1", -3, ApiCalls, Start, "Refund of a failed job", "fix-1");

        var report = await ReconcileAsync();
        await RunAsync();
        Clock.Advance(TimeSpan.FromHours(2));
        var after = await ReconcileAsync();
        var reports = await ReportsAsync("acct_1");

        Assert.Multiple(() =>
        {
            Assert.That(report.Actions.Single().Kind, Is.EqualTo(UsageReconciliationActionKind.Resent));
            Assert.That(reports.Single(r => r.Id == dropped.Id).Status, Is.EqualTo(UsageReportStatus.Cancelled));
            Assert.That(reports.Where(r => r.Status == UsageReportStatus.Sent).Select(r => r.Quantity), Is.EqualTo(new[] { 7L }));
            Assert.That(reports.Any(r => r.Status is UsageReportStatus.Cancelling or UsageReportStatus.NeedsCredit), Is.False, "the correction was applied with the replacement");
            Assert.That(StripeTotal("cus_1"), Is.EqualTo(7), "10 lost, 3 corrected off: Stripe bills 7 once");
            Assert.That(after.IsClean, Is.True, ReconciliationText.Format(after));
        });
    }

    [Test]
    public async Task ReconcileAsync_FreeAccount_HasNothingAtStripeAndNoRow()
    {
        await MapAsync("acct_paid", "cus_paid");
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct_free") { Billable = false });
        Assert.That(await Meter.IncrementAsync("acct_paid", 3, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        Assert.That(await Meter.IncrementAsync("acct_free", 8, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        var run = await RunAsync(at: Start.AddHours(1));
        Clock.Advance(TimeSpan.FromHours(2));

        var report = await ReconcileAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Skipped, Is.EqualTo(1));
            Assert.That(report.Rows.Select(r => r.Account), Is.EqualTo(new[] { "acct_paid" }));
            Assert.That(report.IsClean, Is.True, ReconciliationText.Format(report));
        });
    }

    [TestCase(30, 24 * 60, null, "periodStart")]
    [TestCase(0, 24 * 60 + 1, null, "periodEnd")]
    [TestCase(0, 0, null, "periodEnd")]
    [TestCase(0, -60, null, "periodEnd")]
    [TestCase(0, 60, "", "account")]
    [TestCase(0, 60, "   ", "account")]
    public async Task ReconcileAsync_BadInput_IsRefusedNamingTheArgumentAndChangesNothing(int startMinutes, int lengthMinutes, string? account, string parameter)
    {
        await MapAsync("acct_1", "cus_1");
        await ParkUnknownAsync("acct_1", 10, FaultTiming.BeforeProcessing);
        var requests = Stripe.RequestCount;
        var from = Day.AddMinutes(startMinutes);

        var error = Assert.ThrowsAsync<UsageInputException>(() => CreateReconciler().ReconcileAsync(from, from.AddMinutes(lengthMinutes), account));

        Assert.Multiple(async () =>
        {
            Assert.That(error!.ParamName, Is.EqualTo(parameter));
            Assert.That(Stripe.RequestCount, Is.EqualTo(requests), "nothing was asked of Stripe");
            Assert.That((await ReportsAsync("acct_1")).Single().Status, Is.EqualTo(UsageReportStatus.Unknown));
        });
    }
}
