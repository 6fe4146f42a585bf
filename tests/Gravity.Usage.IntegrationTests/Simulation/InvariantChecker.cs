using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// The invariants every seed must keep, checked after the drain against the ledger (through the public API), the
/// model, and the Stripe stand-in's accepted meter events.
/// </summary>
/// <remarks>
/// Increments whose task failed may turn out applied only when the library said their outcome is unknown
/// (<see cref="UsageCommitOutcomeUnknownException"/>), as the README allows; any other failed increment applied is a
/// violation.
/// </remarks>
public sealed class InvariantChecker(
    SimulationSchedule schedule,
    LedgerModel model,
    StripeStandIn stripe,
    SimProcess process,
    IReadOnlySet<string> reconciled,
    bool outcomeUnknown,
    SeedResult result)
{
    public const string CountedOnce = "acknowledged increments counted once, faulted ones never";
    public const string KeysOnce = "each idempotency key counted once";
    public const string AllReported = "all usage moved into reports exactly once";
    public const string StripeMatches = "Stripe totals per account, meter and bucket equal the sent reports";
    public const string IdentifiersOnce = "each report identifier accepted by Stripe at most once";
    public const string FreeNeverBilled = "free usage never reaches Stripe";
    public const string NothingPending = "nothing left pending or parked without a reason";

    private bool Tolerating => outcomeUnknown;

    public async Task CheckAsync(DateTimeOffset from, DateTimeOffset to)
    {
        var reports = await process.Reporter.ListReportsAsync(new UsageReportQuery { Limit = 100_000 });
        await CheckCountersAsync(reports, from, to);
        foreach (var problem in model.CheckKeys(strict: !Tolerating))
        {
            result.Check(KeysOnce, false, () => problem);
        }

        result.Check(KeysOnce, true, () => string.Empty);
        result.Count("keyed increments applied although their outcome was reported unknown", model.CountAppliedByFailedAttempt());
        CheckStripe(reports);
        CheckPlans(reports);
        CheckOutbox(reports);
    }

    /// <summary>The ledger's counters equal the model's, and every unit of them is in exactly one report.</summary>
    private async Task CheckCountersAsync(IReadOnlyList<UsageReport> reports, DateTimeOffset from, DateTimeOffset to)
    {
        var expected = model.ExpectedCounters();
        var reported = reports
            .GroupBy(r => (r.Account, r.Meter, Bucket: r.BucketStart))
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Quantity));
        for (var a = 0; a < schedule.Accounts; a++)
        {
            var account = SimulationSchedule.AccountName(a);
            foreach (var meter in SimulationSchedule.MeterNames)
            {
                var series = await process.Meter.GetSeriesAsync(account, from, to, meter);
                var actual = series.ToDictionary(b => b.BucketStart);
                var buckets = actual.Keys.Union(expected.Keys.Where(k => k.Account == account && k.Meter == meter).Select(k => k.Bucket)).Order();
                long tolerated = 0;
                foreach (var bucket in buckets)
                {
                    var want = expected.GetValueOrDefault((account, meter, bucket));
                    var have = actual.GetValueOrDefault(bucket);
                    if (have.Quantity != want && Tolerating && model.IsFailedUnkeyedSubset(account, meter, bucket, have.Quantity - want))
                    {
                        // Increments the library reported with an unknown outcome: allowed either way, counted.
                        result.Count("counters holding unkeyed increments whose outcome was reported unknown");
                        tolerated += have.Quantity - want;
                        want = have.Quantity;
                    }

                    result.Check(CountedOnce, have.Quantity == want, () => $"{account}/{meter} bucket {bucket:MM-dd HH:mm}: ledger has {have.Quantity}, acknowledged {want}");
                    result.Check(AllReported, have.ReportedQuantity == have.Quantity, () => $"{account}/{meter} bucket {bucket:MM-dd HH:mm}: {have.ReportedQuantity} of {have.Quantity} reported after the drain");
                    var inReports = reported.GetValueOrDefault((account, meter, bucket));
                    result.Check(AllReported, inReports == have.Quantity, () => $"{account}/{meter} bucket {bucket:MM-dd HH:mm}: reports hold {inReports}, the counter {have.Quantity}");
                }

                var total = (await process.Meter.GetAsync(account, from, to, meter)).GetMeter(meter);
                var wantTotal = tolerated + expected.Where(e => e.Key.Account == account && e.Key.Meter == meter).Sum(e => e.Value);
                result.Check(CountedOnce, total.Quantity == wantTotal, () => $"{account}/{meter}: GetAsync says {total.Quantity}, acknowledged {wantTotal}");
            }
        }
    }

    /// <summary>Stripe holds, per customer, event and bucket, exactly the sent reports, each identifier once, and nothing else.</summary>
    private void CheckStripe(IReadOnlyList<UsageReport> reports)
    {
        var delivered = reports
            .Where(r => r.Status == UsageReportStatus.Sent || reconciled.Contains(r.Identifier))
            .GroupBy(r => (Customer: CustomerOf(r.Account), Event: SimulationSchedule.EventName(r.Meter), Bucket: r.BucketStart))
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Quantity));
        var events = stripe.MeterEvents.Where(e => !e.IsCancelled).ToList();
        var billed = events
            .GroupBy(e => (Customer: e.CustomerId, Event: e.EventName, Bucket: e.Timestamp))
            .ToDictionary(g => g.Key, g => (long)g.Sum(e => e.Value));
        foreach (var cell in delivered.Keys.Union(billed.Keys))
        {
            var sent = delivered.GetValueOrDefault(cell);
            var inStripe = billed.GetValueOrDefault(cell);
            result.Check(StripeMatches, sent == inStripe, () => $"{cell.Customer}/{cell.Event} bucket {cell.Bucket:MM-dd HH:mm}: Stripe has {inStripe}, the ledger sent {sent}");
        }

        var identifiers = reports.Select(r => r.Identifier).ToHashSet(StringComparer.Ordinal);
        result.Check(IdentifiersOnce, identifiers.Count == reports.Count, () => $"{reports.Count - identifiers.Count} report identifiers are not unique");
        foreach (var group in events.GroupBy(e => e.Identifier))
        {
            result.Check(IdentifiersOnce, group.Count() == 1, () => $"Stripe accepted identifier {group.Key} {group.Count()} times: billed twice");
            result.Check(IdentifiersOnce, identifiers.Contains(group.Key), () => $"Stripe accepted identifier {group.Key}, which no report of the ledger has");
        }

        var byIdentifier = events.GroupBy(e => e.Identifier).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var report in reports.Where(r => r.Status == UsageReportStatus.Sent))
        {
            result.Check(IdentifiersOnce, stripe.CountAcceptedIdentifier(report.Identifier) == 1, () => $"report {report.Identifier} is marked sent, but Stripe accepted it {stripe.CountAcceptedIdentifier(report.Identifier)} times");
            if (byIdentifier.TryGetValue(report.Identifier, out var meterEvent))
            {
                result.Check(
                    StripeMatches,
                    meterEvent.Value == report.Quantity && meterEvent.Timestamp == report.BucketStart && meterEvent.CustomerId == CustomerOf(report.Account) && meterEvent.EventName == SimulationSchedule.EventName(report.Meter),
                    () => $"report {report.Identifier} ({report.Account}/{report.Meter} bucket {report.BucketStart:MM-dd HH:mm} +{report.Quantity}) reached Stripe as {meterEvent.CustomerId}/{meterEvent.EventName} at {meterEvent.Timestamp:MM-dd HH:mm} value {meterEvent.Value}");
            }
        }
    }

    /// <summary>
    /// Per counter, the billed reports hold exactly the usage recorded while the account was billable (in buckets that
    /// ended after it became so); each report is skipped exactly when its account was free (or not yet billable for its
    /// bucket) when it was closed; and skipped reports never reach Stripe.
    /// </summary>
    private void CheckPlans(IReadOnlyList<UsageReport> reports)
    {
        var expectedBilled = model.ExpectedBilled();
        var uncertain = model.CountersWithUnknownPlan(withLibraryFaults: Tolerating);
        var billed = reports
            .Where(r => r.Status != UsageReportStatus.Skipped)
            .GroupBy(r => (r.Account, r.Meter, Bucket: r.BucketStart))
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Quantity));
        foreach (var cell in expectedBilled.Keys.Union(billed.Keys).Where(c => !uncertain.Contains(c)))
        {
            var want = expectedBilled.GetValueOrDefault(cell);
            var have = billed.GetValueOrDefault(cell);
            result.Check(FreeNeverBilled, have == want, () => $"{cell.Account}/{cell.Meter} bucket {cell.Bucket:MM-dd HH:mm}: {have} billed, but {want} was recorded while billable; plans: {model.Plan(cell.Account)}");
        }

        foreach (var report in reports)
        {
            var plan = model.Plan(report.Account);
            var bucketEnd = report.BucketStart + SimProcess.BucketSize;
            var reason = plan.SkipReason(report.CreatedAt, bucketEnd);
            var skipped = report.Status == UsageReportStatus.Skipped;
            if (skipped != (reason is not null) && plan.TryRacedSkipReason(report.CreatedAt, bucketEnd, out var racedReason) && skipped == (racedReason is not null))
            {
                // Closed by the report run that raced the plan change, after the change committed: the new plan applies.
                result.Count("reports closed under the new plan by a run racing the change");
                reason = racedReason;
            }

            result.Check(
                FreeNeverBilled,
                skipped == (reason is not null),
                () => $"report {report.Identifier} ({report.Account}/{report.Meter} bucket {report.BucketStart:MM-dd HH:mm}, +{report.Quantity}, closed {report.CreatedAt:MM-dd HH:mm:ss}) is {report.Status}, expected {(reason is null ? "billed" : "skipped: " + reason)}; plans: {model.Plan(report.Account)}");
            if (skipped)
            {
                result.Check(FreeNeverBilled, stripe.CountAcceptedIdentifier(report.Identifier) == 0, () => $"skipped report {report.Identifier} reached Stripe");
            }
        }
    }

    /// <summary>After the drain nothing is pending, and whatever is parked says why.</summary>
    private void CheckOutbox(IReadOnlyList<UsageReport> reports)
    {
        foreach (var report in reports)
        {
            result.Check(NothingPending, report.Status != UsageReportStatus.Pending, () => $"report {report.Identifier} is still pending after the drain (attempts {report.Attempts}, next {report.NextAttemptAt:MM-dd HH:mm:ss}, last error {report.LastError ?? "none"})");
            if (report.Status is UsageReportStatus.Failed or UsageReportStatus.Unknown)
            {
                result.Check(NothingPending, !string.IsNullOrWhiteSpace(report.LastError), () => $"report {report.Identifier} is {report.Status} without a reason");
            }
        }
    }

    private static string CustomerOf(string account) => SimulationSchedule.CustomerId(int.Parse(account["acct_".Length..], System.Globalization.CultureInfo.InvariantCulture));
}
