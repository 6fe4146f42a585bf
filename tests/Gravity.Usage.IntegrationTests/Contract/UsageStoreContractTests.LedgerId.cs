namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Report identifiers are unique to each ledger: derived from a random id made at install (or upgrade), so a
/// recreated database, or staging and production on one Stripe account, never hands Stripe an identifier it would drop
/// as a duplicate of another ledger's usage.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task LedgerId_IsRandomPerLedger_AndTheSameHistoryInTwoLedgersSharesNoIdentifier()
    {
        await using var other = new TFixture();
        await other.InitializeAsync();
        var stores = new[] { Store, other.CreateStore(Clock) };
        var reports = new List<IReadOnlyList<UsageReport>>();
        foreach (var store in stores)
        {
            await store.Ledger.WriteAsync([Increment("acct", 5)]);
            var first = await store.Reports.CloseAsync([new ReportClosing("acct", Usage, Start, Start + Hour, null)], Clock.GetUtcNow());
            await store.Ledger.WriteAsync([Increment("acct", 3)]);
            var second = await store.Reports.CloseAsync([new ReportClosing("acct", Usage, Start, Start + Hour, null)], Clock.GetUtcNow());
            reports.Add([.. first, .. second]);
        }

        var ledgerIds = new[]
        {
            await Fixture.TextAsync($"SELECT ledger_id FROM {Fixture.Table("usage_ledger")}"),
            await other.TextAsync($"SELECT ledger_id FROM {other.Table("usage_ledger")}"),
        };
        Assert.Multiple(() =>
        {
            Assert.That(ledgerIds, Has.All.Match("^[0-9a-f]{32}$"));
            Assert.That(ledgerIds[1], Is.Not.EqualTo(ledgerIds[0]));
            Assert.That(reports.Select(r => r.Select(x => x.Quantity)), Has.All.EqualTo(new[] { 5L, 3L }), "the same history");
            Assert.That(reports[0].Select(r => r.Identifier).Intersect(reports[1].Select(r => r.Identifier)), Is.Empty, "no identifier in common");
            for (var i = 0; i < 2; i++)
            {
                Assert.That(reports[i][0].Identifier, Is.EqualTo(ReportIdentifier.Create(ledgerIds[i], "acct", Usage, Start.ToUnixTimeSeconds(), 0, 5)));
                Assert.That(reports[i][1].Identifier, Is.EqualTo(ReportIdentifier.Create(ledgerIds[i], "acct", Usage, Start.ToUnixTimeSeconds(), 5, 3)));
            }
        });
    }

    [Test]
    public async Task LedgerId_ALedgerFromBeforeVersion3_IsUpgradedAndKeepsItsPendingReportsAndReportsOnCorrectly()
    {
        // A ledger as version 2 left it: reports closed, one pending, no ledger id, and keys without fingerprints.
        await Store.Ledger.WriteAsync([Increment("acct", 5)]);
        var old = await CloseAsync("acct");
        await Fixture.ExecuteAsync($"DROP TABLE {Fixture.Table("usage_ledger")}");
        await Fixture.ExecuteAsync($"DROP TABLE {Fixture.Table("usage_idempotency_key")}");
        await Fixture.ExecuteAsync($"CREATE TABLE {Fixture.Table("usage_idempotency")} (account text NOT NULL, meter text NOT NULL, idempotency_key text NOT NULL, recorded_at bigint NOT NULL, PRIMARY KEY (account, meter, idempotency_key))");
        await Fixture.ExecuteAsync($"DELETE FROM {Fixture.Table("usage_schema_version")} WHERE version >= 3");

        var upgraded = Fixture.CreateStore(Clock);
        await upgraded.Ledger.EnsureSchemaAsync();
        await upgraded.Ledger.WriteAsync([Increment("acct", 4)]);
        var fresh = await upgraded.Reports.CloseAsync([new ReportClosing("acct", Usage, Start, Start + Hour, null)], Clock.GetUtcNow());
        var ledgerId = await Fixture.TextAsync($"SELECT ledger_id FROM {Fixture.Table("usage_ledger")}");
        var all = await upgraded.Reports.ListReportsAsync(new UsageReportQuery());

        Assert.Multiple(async () =>
        {
            Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions));
            Assert.That(all.Select(r => (r.Identifier, r.Quantity, r.Status)), Is.EquivalentTo(new[]
            {
                (old.Single().Identifier, 5L, UsageReportStatus.Pending),
                (ReportIdentifier.Create(ledgerId, "acct", Usage, Start.ToUnixTimeSeconds(), 5, 4), 4L, UsageReportStatus.Pending),
            }));
            Assert.That(fresh.Single().Identifier, Is.Not.EqualTo(old.Single().Identifier));
        });
    }
}
