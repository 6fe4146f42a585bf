using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Tool.Tests;

/// <summary>
/// Base of the tool's tests, run on both providers: a real ledger whose outbox holds one report in each status
/// (<see cref="SeedAsync"/>), and the tool run in process against it.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
public abstract class ToolTest(string provider)
{
    /// <summary>The bucket every seeded increment lands in.</summary>
    protected static readonly DateTimeOffset Bucket = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);

    /// <summary>When the seeded reports were closed.</summary>
    protected static readonly DateTimeOffset ClosedAt = Bucket.AddHours(1);

    /// <summary>The tool's "now": three hours after the reports were closed.</summary>
    protected static readonly DateTimeOffset Now = ClosedAt.AddHours(3);

    protected const string Usage = UsageBillingOptions.DefaultMeterName;

    protected ToolLedger Ledger { get; private set; } = null!;

    protected string Provider => provider;

    [SetUp]
    public async Task CreateLedgerAsync() => Ledger = await ToolLedger.CreateAsync(provider, new FakeTimeProvider(ClosedAt));

    [TearDown]
    public async Task DeleteLedgerAsync()
    {
        if (Ledger is not null)
        {
            await Ledger.DisposeAsync();
        }
    }

    /// <summary>Runs the tool on this test's ledger.</summary>
    protected Task<ToolRun> RunAsync(params string[] args) => ToolRun.RunAsync(Now, null, [.. args, .. Ledger.Arguments]);

    /// <summary>
    /// Seeds the outbox: acct_sent 5 (sent), acct_failed 3 (failed, "No such customer"), acct_unknown 2 (unknown),
    /// acct_pending 4 (pending), acct_free 1 (skipped); plus 7 unreported units of acct_sent in the next bucket.
    /// </summary>
    protected async Task<IReadOnlyDictionary<string, UsageReport>> SeedAsync(bool healthy = false)
    {
        var accounts = healthy ? new[] { "acct_sent", "acct_free" } : ["acct_sent", "acct_failed", "acct_unknown", "acct_pending", "acct_free"];
        var quantities = new Dictionary<string, long> { ["acct_sent"] = 5, ["acct_failed"] = 3, ["acct_unknown"] = 2, ["acct_pending"] = 4, ["acct_free"] = 1 };
        await Ledger.Usage.WriteAsync(accounts.Select(a => new UsageIncrement(a, Usage, Bucket, quantities[a], null, Bucket)).ToList());
        await Ledger.Usage.WriteAsync([new UsageIncrement("acct_sent", Usage, Bucket.AddHours(1), 7, null, Bucket.AddHours(1))]);
        var closed = await Ledger.Reports.CloseAsync(
            accounts.Select(a => new ReportClosing(a, Usage, Bucket, Bucket.AddHours(1), a == "acct_free" ? "free plan" : null)).ToList(),
            ClosedAt);
        var byAccount = closed.ToDictionary(r => r.Account);
        var claimed = await Ledger.Reports.ClaimDueAsync(new ReportClaim("seed", ClosedAt, ClosedAt.AddMinutes(5), 10));
        var outcomes = new Dictionary<string, UsageReportStatus>
        {
            ["acct_sent"] = UsageReportStatus.Sent,
            ["acct_failed"] = UsageReportStatus.Failed,
            ["acct_unknown"] = UsageReportStatus.Unknown,
        };
        await Ledger.Reports.CompleteAsync(claimed.Select(r => outcomes.TryGetValue(r.Account, out var status)
            ? new ReportCompletion(r.Id, "seed", status, ClosedAt) { Error = status == UsageReportStatus.Failed ? "No such customer: 'cus_gone'" : null }
            : new ReportCompletion(r.Id, "seed", UsageReportStatus.Pending, ClosedAt) { NextAttemptAt = ClosedAt, NotAttempted = true }).ToList());
        return byAccount;
    }

    protected async Task<UsageReportStatus> StatusOfAsync(long id) =>
        (await Ledger.Reports.ListReportsAsync(new UsageReportQuery { Id = id })).Single().Status;
}
