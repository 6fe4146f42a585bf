using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests.Reconciliation;

/// <summary>How one hour's evidence is weighed: which unknown reports Stripe counted, and when nothing may be resolved.</summary>
public sealed class HourEvidenceTests
{
    private static readonly DateTimeOffset Hour = new(2026, 3, 10, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Hour.AddDays(1);
    private static readonly UsageReconciliationOptions Options = new();
    private static long s_id;

    [Test]
    public void Judge_StripeShowsTheOnlyUnknownReport_MarksItLanded()
    {
        var unknown = Report(UsageReportStatus.Unknown, 10);

        var verdict = HourEvidence.Judge([Report(UsageReportStatus.Sent, 5), unknown], isGauge: false, 15m, Now, Options);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.State, Is.EqualTo(UsageReconciliationRowState.Resolved));
            Assert.That(verdict.Landed, Is.EqualTo(new[] { unknown }));
            Assert.That(verdict.Lacking, Is.Empty);
            Assert.That(verdict.LocalTotal, Is.EqualTo(5));
        });
    }

    [Test]
    public void Judge_StripeLacksTheOnlyUnknownReport_MarksItLacking()
    {
        var unknown = Report(UsageReportStatus.Unknown, 10);

        var verdict = HourEvidence.Judge([Report(UsageReportStatus.Sent, 5), unknown], isGauge: false, 5m, Now, Options);

        Assert.That((verdict.State, verdict.Lacking.Single()), Is.EqualTo((UsageReconciliationRowState.Resolved, unknown)));
    }

    [Test]
    public void Judge_UnknownReportsOfDifferentQuantities_TellsWhichLanded()
    {
        var three = Report(UsageReportStatus.Unknown, 3);
        var four = Report(UsageReportStatus.Unknown, 4);

        var verdict = HourEvidence.Judge([three, four], isGauge: false, 4m, Now, Options);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.State, Is.EqualTo(UsageReconciliationRowState.Resolved));
            Assert.That(verdict.Landed, Is.EqualTo(new[] { four }));
            Assert.That(verdict.Lacking, Is.EqualTo(new[] { three }));
        });
    }

    [Test]
    public void Judge_TwoUnknownReportsOfEqualQuantityOneLanded_IsAmbiguous()
    {
        var verdict = HourEvidence.Judge([Report(UsageReportStatus.Unknown, 5), Report(UsageReportStatus.Unknown, 5)], isGauge: false, 5m, Now, Options);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.State, Is.EqualTo(UsageReconciliationRowState.Ambiguous));
            Assert.That(verdict.Landed, Is.Empty);
            Assert.That(verdict.Lacking, Is.Empty);
        });
    }

    [Test]
    public void Judge_NoCombinationAddsUp_IsDriftAndResolvesNothing()
    {
        var verdict = HourEvidence.Judge([Report(UsageReportStatus.Unknown, 5)], isGauge: false, 7m, Now, Options);

        Assert.That((verdict.State, verdict.Landed.Count, verdict.Lacking.Count), Is.EqualTo((UsageReconciliationRowState.Drift, 0, 0)));
    }

    [Test]
    public void Judge_ReportDeliveredWithinTheSettleTime_IsUnsettled()
    {
        var recent = Report(UsageReportStatus.Sent, 5) with { SentAt = Now.AddMinutes(-10) };

        var verdict = HourEvidence.Judge([recent, Report(UsageReportStatus.Unknown, 3)], isGauge: false, 5m, Now, Options);

        Assert.That((verdict.State, verdict.Landed.Count, verdict.Lacking.Count), Is.EqualTo((UsageReconciliationRowState.Unsettled, 0, 0)));
    }

    [Test]
    public void Judge_AttemptedPendingReportInTheHour_IsUnsettled()
    {
        var inFlight = Report(UsageReportStatus.Pending, 2) with { Attempts = 1, FirstAttemptAt = Hour.AddHours(1) };

        var verdict = HourEvidence.Judge([inFlight, Report(UsageReportStatus.Unknown, 3)], isGauge: false, 0m, Now, Options);

        Assert.That(verdict.State, Is.EqualTo(UsageReconciliationRowState.Unsettled));
    }

    [Test]
    public void Judge_CancelledAndFailedReports_CountZero()
    {
        var verdict = HourEvidence.Judge([Report(UsageReportStatus.Cancelled, 10), Report(UsageReportStatus.Failed, 4), Report(UsageReportStatus.Sent, 7)], isGauge: false, 7m, Now, Options);

        Assert.That((verdict.State, verdict.LocalTotal), Is.EqualTo((UsageReconciliationRowState.Matched, 7L)));
    }

    [Test]
    public void Judge_GaugeWithTheLatestValueUnknown_ResolvesFromTheLastValue()
    {
        var earlier = Report(UsageReportStatus.Sent, 4) with { BucketStart = Hour.AddMinutes(5) };
        var latest = Report(UsageReportStatus.Unknown, 9) with { BucketStart = Hour.AddMinutes(40) };

        var landed = HourEvidence.Judge([earlier, latest], isGauge: true, 9m, Now, Options);
        var lacking = HourEvidence.Judge([earlier, latest], isGauge: true, 4m, Now, Options);

        Assert.Multiple(() =>
        {
            Assert.That(landed.Landed, Is.EqualTo(new[] { latest }));
            Assert.That(lacking.Lacking, Is.EqualTo(new[] { latest }));
            Assert.That(landed.LocalTotal, Is.EqualTo(4), "a gauge's hour is its latest sent value, not a sum");
        });
    }

    [Test]
    public void Judge_GaugeUnknownValueHiddenByALaterSentOne_IsAmbiguous()
    {
        var hidden = Report(UsageReportStatus.Unknown, 9) with { BucketStart = Hour.AddMinutes(5) };
        var later = Report(UsageReportStatus.Sent, 4) with { BucketStart = Hour.AddMinutes(40) };

        var verdict = HourEvidence.Judge([hidden, later], isGauge: true, 4m, Now, Options);

        Assert.That(verdict.State, Is.EqualTo(UsageReconciliationRowState.Ambiguous));
    }

    [Test]
    public void Judge_MeterWithUnnamedRejections_ResolvesNothing()
    {
        var unknown = Report(UsageReportStatus.Unknown, 5);

        var verdict = HourEvidence.Judge([Report(UsageReportStatus.Sent, 5), unknown], isGauge: false, 5m, Now, Options, unnamedRejections: true);

        Assert.That((verdict.State, verdict.Landed.Count, verdict.Lacking.Count), Is.EqualTo((UsageReconciliationRowState.Ambiguous, 0, 0)));
    }

    [Test]
    public void Judge_MoreUnknownReportsThanWeighed_IsAmbiguous()
    {
        var options = new UsageReconciliationOptions { MaxUnknownReportsPerHour = 2 };
        var reports = Enumerable.Range(1, 3).Select(i => Report(UsageReportStatus.Unknown, i)).ToList();

        var verdict = HourEvidence.Judge(reports, isGauge: false, 1m, Now, options);

        Assert.That(verdict.State, Is.EqualTo(UsageReconciliationRowState.Ambiguous));
    }

    [Test]
    public void LastActivity_AttemptedReport_IsBoundedByItsNextDueTime()
    {
        var report = Report(UsageReportStatus.Unknown, 1) with { Attempts = 3, FirstAttemptAt = Hour.AddHours(1), NextAttemptAt = Hour.AddHours(20) };

        Assert.That(HourEvidence.LastActivity(report), Is.EqualTo(Hour.AddHours(20)));
    }

    private static UsageReport Report(UsageReportStatus status, long quantity) => new()
    {
        Id = Interlocked.Increment(ref s_id),
        Identifier = "gu_" + s_id,
        Account = "acct_1",
        Meter = "api_calls",
        BucketStart = Hour,
        Quantity = quantity,
        Status = status,
        CreatedAt = Hour.AddHours(1),
        NextAttemptAt = Hour.AddHours(1),
        SentAt = status == UsageReportStatus.Sent ? Hour.AddHours(1) : null,
    };
}
