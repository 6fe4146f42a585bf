namespace Gravity.Usage.Testing.Contract;

/// <summary>Claims under a lease, expiry takeover, concurrent claimers, completion by the lease owner, re-drive, listing.</summary>
internal sealed class DeliveryCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<DeliveryCases>("ClaimDueAsync_LeasedReports_AreNotClaimedAgainUntilTheLeaseExpires_ThenTakenOver", c => c.LeaseExpiryAsync()),
        Case<DeliveryCases>("ClaimDueAsync_DueTimeLimitAndAccount_AreRespected", c => c.DueTimeLimitAndAccountAsync()),
        Case<DeliveryCases>("ClaimDueAsync_EightClaimersAtOnce_NeverClaimTheSameReportTwice", c => c.EightClaimersAsync()),
        Case<DeliveryCases>("CompleteAsync_MixedOutcomes_RecordsEachUnderTheCallersLeaseOnly", c => c.MixedOutcomesAsync()),
        Case<DeliveryCases>("RedriveAsync_FailedAndUnknownReports_ArePendingAgainWithAFreshIdempotencyKey", c => c.RedriveAsync()),
        Case<DeliveryCases>("ListReportsAsync_ByStatusAccountAndId_FiltersAndPagesById", c => c.ListAsync()),
    ];

    private async Task LeaseExpiryAsync()
    {
        var reports = await PendingReportsAsync(3);
        var now = Start + Hour;

        var first = await Store.Reports.ClaimDueAsync(new ReportClaim("dead", now, now + Lease, 10), Cancellation);
        var whileLeased = await Store.Reports.ClaimDueAsync(new ReportClaim("alive", now + Lease - TimeSpan.FromMilliseconds(1), now + (2 * Lease), 10), Cancellation);
        var afterExpiry = await Store.Reports.ClaimDueAsync(new ReportClaim("alive", now + Lease, now + (2 * Lease), 10), Cancellation);
        var lateCompletion = await Store.Reports.CompleteAsync([new ReportCompletion(first[0].Id, "dead", UsageReportStatus.Sent, now + Lease)], Cancellation);

        Check.Equal(reports.Select(r => r.Id), first.Select(r => r.Id), "reports claimed first");
        Check.All(first.Select(r => (r.Attempts, r.FirstAttemptAt)), (1, (DateTimeOffset?)now), "attempts of the first claim");
        Check.Empty(whileLeased, "reports claimed while leased");
        Check.Equal(reports.Select(r => r.Id), afterExpiry.Select(r => r.Id), "reports claimed after the lease expired");
        Check.All(afterExpiry.Select(r => (r.Attempts, r.FirstAttemptAt)), (2, (DateTimeOffset?)now), "attempts of the takeover: the first attempt is kept");
        Check.Equal(new[] { false }, lateCompletion, "the dead reporter's late completion: its lease was taken over");
    }

    private async Task DueTimeLimitAndAccountAsync()
    {
        await PendingReportsAsync(3);
        await Store.Ledger.WriteAsync([Increment("other", 1)], Cancellation);
        await CloseAsync("other");

        var notYetDue = await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start - TimeSpan.FromMilliseconds(1), Start + Lease, 10), Cancellation);
        var ofOther = await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start, Start + Lease, 10, "other"), Cancellation);
        var limited = await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start, Start + Lease, 2), Cancellation);

        Check.Empty(notYetDue, "reports claimed before they are due");
        Check.Equal(new[] { "other" }, ofOther.Select(r => r.Account), "reports of other claimed");
        Check.Equal(new[] { "acct0", "acct1" }, limited.Select(r => r.Account), "reports claimed up to the limit: oldest due first");
    }

    private async Task EightClaimersAsync()
    {
        var reports = await PendingReportsAsync(120);
        var claimers = Enumerable.Range(0, 8).Select(_ => OpenStore()).ToList();
        var now = Start + Hour;

        var claimed = await Task.WhenAll(claimers.Select((c, i) => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (true)
            {
                var batch = await c.Reports.ClaimDueAsync(new ReportClaim($"owner{i}", now, now + Lease, 7), Cancellation);
                if (batch.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(batch.Select(r => r.Id));
            }
        })));

        var all = claimed.SelectMany(ids => ids).ToList();
        Check.Unique(all, "reports claimed by the eight claimers");
        Check.Equivalent(reports.Select(r => r.Id), all, "reports claimed by the eight claimers together");
    }

    private async Task MixedOutcomesAsync()
    {
        var reports = await PendingReportsAsync(4);
        var now = Start + Hour;
        await Store.Reports.ClaimDueAsync(new ReportClaim("me", now, now + Lease, 10), Cancellation);
        var later = now + TimeSpan.FromSeconds(3);

        var applied = await Store.Reports.CompleteAsync(
        [
            new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Sent, later) { RequestId = "req_1" },
            new ReportCompletion(reports[1].Id, "me", UsageReportStatus.Pending, later) { Error = "503", NextAttemptAt = later + Hour },
            new ReportCompletion(reports[2].Id, "someone else", UsageReportStatus.Sent, later),
            new ReportCompletion(reports[3].Id, "me", UsageReportStatus.Pending, later) { NextAttemptAt = later, NotAttempted = true },
        ], Cancellation);
        var again = await Store.Reports.CompleteAsync([new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Failed, later)], Cancellation);

        var stored = (await ReportsAsync()).ToDictionary(r => r.Id);
        Check.Equal(new[] { true, true, false, true }, applied, "completions applied");
        Check.Equal(new[] { false }, again, "a second completion of a sent report: a sent report is final");
        var sent = stored[reports[0].Id];
        Check.Equal((UsageReportStatus.Sent, (DateTimeOffset?)later, (string?)"req_1"), (sent.Status, sent.SentAt, sent.LastRequestId), "the sent report's (Status, SentAt, LastRequestId)");
        var retried = stored[reports[1].Id];
        Check.Equal((UsageReportStatus.Pending, (string?)"503", later + Hour, 1), (retried.Status, retried.LastError, retried.NextAttemptAt, retried.Attempts), "the retried report's (Status, LastError, NextAttemptAt, Attempts)");
        Check.Equal(UsageReportStatus.Pending, stored[reports[2].Id].Status, "the status of the report completed under another's lease");
        var handedBack = stored[reports[3].Id];
        Check.Equal((0, (DateTimeOffset?)null), (handedBack.Attempts, handedBack.FirstAttemptAt), "the (Attempts, FirstAttemptAt) of a report handed back without an attempt");

        var reclaimed = await Store.Reports.ClaimDueAsync(new ReportClaim("next", later, later + Lease, 10), Cancellation);
        Check.Equal(new[] { reports[3].Id }, reclaimed.Select(r => r.Id), "reports claimable at once: released leases are; the other is still leased");
    }

    private async Task RedriveAsync()
    {
        var reports = await PendingReportsAsync(3);
        var now = Start + Hour;
        await Store.Reports.ClaimDueAsync(new ReportClaim("me", now, now + Lease, 10), Cancellation);
        await Store.Reports.CompleteAsync(
        [
            new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Failed, now) { Error = "No such customer" },
            new ReportCompletion(reports[1].Id, "me", UsageReportStatus.Unknown, now),
            new ReportCompletion(reports[2].Id, "me", UsageReportStatus.Sent, now),
        ], Cancellation);
        var later = now + Hour;

        var onlyFailed = await Store.Reports.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Failed }, later, Cancellation);
        var rest = await Store.Reports.RedriveAsync(new UsageReportQuery(), later, Cancellation);
        var none = await Store.Reports.RedriveAsync(new UsageReportQuery(), later, Cancellation);

        var stored = await ReportsAsync();
        Check.Equal((1, 1, 0), (onlyFailed, rest, none), "reports re-driven: failed only, then the rest, then none");
        Check.Equal(new[] { UsageReportStatus.Pending, UsageReportStatus.Pending, UsageReportStatus.Sent }, stored.Select(r => r.Status), "statuses");
        Check.Equal(new[] { (0, 1), (0, 1), (1, 0) }, stored.Select(r => (r.Attempts, r.RedriveCount)), "(Attempts, RedriveCount) of each report");
        Check.Equal(stored[0].Identifier + "-r1", stored[0].IdempotencyKey, "the re-driven report's idempotency key");
        Check.Equal(later, stored[0].NextAttemptAt, "the re-driven report's NextAttemptAt");
    }

    private async Task ListAsync()
    {
        var reports = await PendingReportsAsync(5);
        await Store.Ledger.WriteAsync([Increment("acct0", 1, bucketStart: Start + Hour)], Cancellation);
        await CloseAsync("acct0", bucketStart: Start + Hour, skipReason: "free");

        var page = await Store.Reports.ListReportsAsync(new UsageReportQuery { AfterId = reports[1].Id, Limit = 2 }, Cancellation);
        var skipped = await Store.Reports.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.Skipped }, Cancellation);
        var ofAcct0 = await Store.Reports.ListReportsAsync(new UsageReportQuery { Account = "acct0" }, Cancellation);
        var byId = await Store.Reports.ListReportsAsync(new UsageReportQuery { Id = reports[3].Id }, Cancellation);

        Check.Equal(new[] { reports[2].Id, reports[3].Id }, page.Select(r => r.Id), "a page after the second report");
        Check.Equal(new[] { ("acct0", Start + Hour) }, skipped.Select(r => (r.Account, r.BucketStart)), "skipped reports");
        Check.Equal(2, ofAcct0.Count, "reports of acct0");
        Check.Equal("acct3", byId.Single().Account, "the report listed by id");
    }
}
