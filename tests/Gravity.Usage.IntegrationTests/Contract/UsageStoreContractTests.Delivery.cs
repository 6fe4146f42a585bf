namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>Claims under a lease, expiry takeover, concurrent claimers, completion by the lease owner, re-drive.</summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    [Test]
    public async Task ClaimDueAsync_LeasedReports_AreNotClaimedAgainUntilTheLeaseExpires_ThenTakenOver()
    {
        var reports = await PendingReportsAsync(3);
        var now = Start + Hour;

        var first = await Store.Reports.ClaimDueAsync(new ReportClaim("dead", now, now + Lease, 10));
        var whileLeased = await Store.Reports.ClaimDueAsync(new ReportClaim("alive", now + Lease - TimeSpan.FromMilliseconds(1), now + (2 * Lease), 10));
        var afterExpiry = await Store.Reports.ClaimDueAsync(new ReportClaim("alive", now + Lease, now + (2 * Lease), 10));
        var lateCompletion = await Store.Reports.CompleteAsync([new ReportCompletion(first[0].Id, "dead", UsageReportStatus.Sent, now + Lease)]);

        Assert.Multiple(() =>
        {
            Assert.That(first.Select(r => r.Id), Is.EqualTo(reports.Select(r => r.Id)));
            Assert.That(first.Select(r => (r.Attempts, r.FirstAttemptAt)), Is.All.EqualTo((1, (DateTimeOffset?)now)));
            Assert.That(whileLeased, Is.Empty);
            Assert.That(afterExpiry.Select(r => r.Id), Is.EqualTo(reports.Select(r => r.Id)));
            Assert.That(afterExpiry.Select(r => (r.Attempts, r.FirstAttemptAt)), Is.All.EqualTo((2, (DateTimeOffset?)now)), "the first attempt is kept");
            Assert.That(lateCompletion, Is.EqualTo(new[] { false }), "the dead reporter's lease was taken over");
        });
    }

    [Test]
    public async Task ClaimDueAsync_DueTimeLimitAndAccount_AreRespected()
    {
        await PendingReportsAsync(3);
        await Store.Ledger.WriteAsync([Increment("other", 1)]);
        await CloseAsync("other");

        var notYetDue = await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start - TimeSpan.FromMilliseconds(1), Start + Lease, 10));
        var ofOther = await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start, Start + Lease, 10, "other"));
        var limited = await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start, Start + Lease, 2));

        Assert.Multiple(() =>
        {
            Assert.That(notYetDue, Is.Empty);
            Assert.That(ofOther.Select(r => r.Account), Is.EqualTo(new[] { "other" }));
            Assert.That(limited.Select(r => r.Account), Is.EqualTo(new[] { "acct0", "acct1" }), "oldest due first");
        });
    }

    [Test]
    public async Task ClaimDueAsync_EightClaimersAtOnce_NeverClaimTheSameReportTwice()
    {
        var reports = await PendingReportsAsync(120);
        var claimers = Enumerable.Range(0, 8).Select(_ => Fixture.CreateStore(Clock)).ToList();
        var now = Start + Hour;

        var claimed = await Task.WhenAll(claimers.Select((c, i) => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (true)
            {
                var batch = await c.Reports.ClaimDueAsync(new ReportClaim($"owner{i}", now, now + Lease, 7));
                if (batch.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(batch.Select(r => r.Id));
            }
        })));

        var all = claimed.SelectMany(ids => ids).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(all, Is.Unique);
            Assert.That(all, Is.EquivalentTo(reports.Select(r => r.Id)));
        });
    }

    [Test]
    public async Task CompleteAsync_MixedOutcomes_RecordsEachUnderTheCallersLeaseOnly()
    {
        var reports = await PendingReportsAsync(4);
        var now = Start + Hour;
        await Store.Reports.ClaimDueAsync(new ReportClaim("me", now, now + Lease, 10));
        var later = now + TimeSpan.FromSeconds(3);

        var applied = await Store.Reports.CompleteAsync(
        [
            new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Sent, later) { RequestId = "req_1" },
            new ReportCompletion(reports[1].Id, "me", UsageReportStatus.Pending, later) { Error = "503", NextAttemptAt = later + Hour },
            new ReportCompletion(reports[2].Id, "someone else", UsageReportStatus.Sent, later),
            new ReportCompletion(reports[3].Id, "me", UsageReportStatus.Pending, later) { NextAttemptAt = later, NotAttempted = true },
        ]);
        var again = await Store.Reports.CompleteAsync([new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Failed, later)]);

        var stored = (await ReportsAsync()).ToDictionary(r => r.Id);
        Assert.Multiple(() =>
        {
            Assert.That(applied, Is.EqualTo(new[] { true, true, false, true }));
            Assert.That(again, Is.EqualTo(new[] { false }), "a sent report is final");
            Assert.That(stored[reports[0].Id], Has.Property(nameof(UsageReport.Status)).EqualTo(UsageReportStatus.Sent)
                .And.Property(nameof(UsageReport.SentAt)).EqualTo(later)
                .And.Property(nameof(UsageReport.LastRequestId)).EqualTo("req_1"));
            Assert.That(stored[reports[1].Id], Has.Property(nameof(UsageReport.Status)).EqualTo(UsageReportStatus.Pending)
                .And.Property(nameof(UsageReport.LastError)).EqualTo("503")
                .And.Property(nameof(UsageReport.NextAttemptAt)).EqualTo(later + Hour)
                .And.Property(nameof(UsageReport.Attempts)).EqualTo(1));
            Assert.That(stored[reports[2].Id].Status, Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(stored[reports[3].Id], Has.Property(nameof(UsageReport.Attempts)).EqualTo(0)
                .And.Property(nameof(UsageReport.FirstAttemptAt)).Null, "handed back without an attempt");
        });

        var reclaimed = await Store.Reports.ClaimDueAsync(new ReportClaim("next", later, later + Lease, 10));
        Assert.That(reclaimed.Select(r => r.Id), Is.EqualTo(new[] { reports[3].Id }), "released leases are claimable at once; the other is still leased");
    }

    [Test]
    public async Task RedriveAsync_FailedAndUnknownReports_ArePendingAgainWithAFreshIdempotencyKey()
    {
        var reports = await PendingReportsAsync(3);
        var now = Start + Hour;
        await Store.Reports.ClaimDueAsync(new ReportClaim("me", now, now + Lease, 10));
        await Store.Reports.CompleteAsync(
        [
            new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Failed, now) { Error = "No such customer" },
            new ReportCompletion(reports[1].Id, "me", UsageReportStatus.Unknown, now),
            new ReportCompletion(reports[2].Id, "me", UsageReportStatus.Sent, now),
        ]);
        var later = now + Hour;

        var onlyFailed = await Store.Reports.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Failed }, later);
        var rest = await Store.Reports.RedriveAsync(new UsageReportQuery(), later);
        var none = await Store.Reports.RedriveAsync(new UsageReportQuery(), later);

        var stored = await ReportsAsync();
        Assert.Multiple(() =>
        {
            Assert.That((onlyFailed, rest, none), Is.EqualTo((1, 1, 0)));
            Assert.That(stored.Select(r => r.Status), Is.EqualTo(new[] { UsageReportStatus.Pending, UsageReportStatus.Pending, UsageReportStatus.Sent }));
            Assert.That(stored.Select(r => (r.Attempts, r.RedriveCount)), Is.EqualTo(new[] { (0, 1), (0, 1), (1, 0) }));
            Assert.That(stored[0].IdempotencyKey, Is.EqualTo(stored[0].Identifier + "-r1"));
            Assert.That(stored[0].NextAttemptAt, Is.EqualTo(later));
        });
    }

    [Test]
    public async Task ListReportsAsync_ByStatusAccountAndId_FiltersAndPagesById()
    {
        var reports = await PendingReportsAsync(5);
        await Store.Ledger.WriteAsync([Increment("acct0", 1, bucketStart: Start + Hour)]);
        await CloseAsync("acct0", bucketStart: Start + Hour, skipReason: "free");

        var page = await Store.Reports.ListReportsAsync(new UsageReportQuery { AfterId = reports[1].Id, Limit = 2 });
        var skipped = await Store.Reports.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.Skipped });
        var ofAcct0 = await Store.Reports.ListReportsAsync(new UsageReportQuery { Account = "acct0" });
        var byId = await Store.Reports.ListReportsAsync(new UsageReportQuery { Id = reports[3].Id });

        Assert.Multiple(() =>
        {
            Assert.That(page.Select(r => r.Id), Is.EqualTo(new[] { reports[2].Id, reports[3].Id }));
            Assert.That(skipped.Select(r => (r.Account, r.BucketStart)), Is.EqualTo(new[] { ("acct0", Start + Hour) }));
            Assert.That(ofAcct0, Has.Count.EqualTo(2));
            Assert.That(byId.Single().Account, Is.EqualTo("acct3"));
        });
    }

    /// <summary>One pending report per account acct0, acct1, …, closed in that order and due at <see cref="Start"/>.</summary>
    private async Task<IReadOnlyList<UsageReport>> PendingReportsAsync(int count)
    {
        await Store.Ledger.WriteAsync(Enumerable.Range(0, count).Select(i => Increment($"acct{i}", i + 1)).ToList());
        var closed = await Store.Reports.CloseAsync(
            Enumerable.Range(0, count).Select(i => new ReportClosing($"acct{i}", Usage, Start, Start + Hour, null)).ToList(),
            Start);
        Assert.That(closed, Has.Count.EqualTo(count));
        return closed;
    }
}
