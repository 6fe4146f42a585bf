using System.Text.RegularExpressions;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// Report identifiers are unique to each ledger: derived from a random id made at install, so a recreated database, or
/// staging and production on one Stripe account, never hands Stripe an identifier it would drop as a duplicate.
/// </summary>
internal sealed class LedgerIdCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<LedgerIdCases>("LedgerId_IsRandomPerLedger_AndTheSameHistoryInTwoLedgersSharesNoIdentifier", c => c.RandomPerLedgerAsync()),
    ];

    private async Task RandomPerLedgerAsync()
    {
        var other = await Run.CreateOtherLedgerAsync();
        var stores = new[] { Store, Run.OpenStore(other) };
        var reports = new List<IReadOnlyList<UsageReport>>();
        foreach (var store in stores)
        {
            await store.Ledger.WriteAsync([Increment("acct", 5)], Cancellation);
            var first = await store.Reports.CloseAsync([new ReportClosing("acct", Usage, Start, Start + Hour, null)], Clock.GetUtcNow(), Cancellation);
            await store.Ledger.WriteAsync([Increment("acct", 3)], Cancellation);
            var second = await store.Reports.CloseAsync([new ReportClosing("acct", Usage, Start, Start + Hour, null)], Clock.GetUtcNow(), Cancellation);
            reports.Add([.. first, .. second]);
        }

        var ledgerIds = new[] { await Run.Ledger.ReadLedgerIdAsync(Cancellation), await other.ReadLedgerIdAsync(Cancellation) };
        Check.True(ledgerIds.All(id => Regex.IsMatch(id, "^[0-9a-f]{32}$", RegexOptions.None, TimeSpan.FromSeconds(1))), "the ledger ids", "32 lowercase hex digits each", ledgerIds);
        Check.True(ledgerIds[0] != ledgerIds[1], "the two ledgers' ids", "two different ids", ledgerIds);
        Check.All(reports.Select(r => r.Select(x => x.Quantity).ToArray()), new[] { 5L, 3L }, "quantities closed in each ledger: the same history");
        Check.Empty(reports[0].Select(r => r.Identifier).Intersect(reports[1].Select(r => r.Identifier)), "identifiers the two ledgers share");
        for (var i = 0; i < 2; i++)
        {
            Check.Equal(ReportIdentifier.Create(ledgerIds[i], "acct", Usage, Start.ToUnixTimeSeconds(), 0, 5), reports[i][0].Identifier, $"ledger {i + 1}'s first identifier (ReportIdentifier.Create from its id)");
            Check.Equal(ReportIdentifier.Create(ledgerIds[i], "acct", Usage, Start.ToUnixTimeSeconds(), 5, 3), reports[i][1].Identifier, $"ledger {i + 1}'s second identifier");
        }
    }
}
