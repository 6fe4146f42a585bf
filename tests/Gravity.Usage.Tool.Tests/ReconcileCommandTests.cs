using System.Text.Json;
using Gravity.Usage.Testing;
using Microsoft.Extensions.Time.Testing;
using StripeNet = Stripe;

namespace Gravity.Usage.Tool.Tests;

/// <summary>
/// <c>reconcile</c> against a real ledger and the Stripe stand-in over loopback HTTP: unknown reports, one of which
/// Stripe counted, are settled from Stripe's hourly totals; the exit code says whether drift remains.
/// </summary>
public sealed class ReconcileCommandTests(string provider) : ToolTest(provider)
{
    private const string Period = "2026-11-02..2026-11-03";
    private StripeStandIn _stripe = null!;

    [SetUp]
    public async Task StartStripeAsync()
    {
        _stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = new FakeTimeProvider(ClosedAt) });
        await _stripe.StartAsync();
        _stripe.AddMeter(Usage);
    }

    [TearDown]
    public async Task StopStripeAsync() => await _stripe.DisposeAsync();

    [Test]
    public async Task Reconcile_UnknownReports_MarksTheCountedOneSentResendsTheOtherAndExits0()
    {
        var reports = await SeedUnknownAsync(("acct_landed", 6), ("acct_lost", 4));
        await SendToStripeAsync(reports["acct_landed"], "cus_landed");

        var run = await ReconcileAsync("reconcile", "--period", Period);
        var status = await RunAsync("status");
        TestContext.Out.WriteLine($"[{Provider}] $ gravity-usage reconcile --period {Period}\n{run.Out}{run.Error}\n$ gravity-usage status\n{status.Out}");
        var again = await ReconcileAsync("reconcile", "--period", Period);

        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Match(@"(?m)^acct_landed\s+usage\s+2026-11-02 10:00\s+0\s+6\s+6\s+\+6\s+resolved\s"));
            Assert.That(run.Out, Does.Match(@"(?m)^acct_lost\s+usage\s+2026-11-02 10:00\s+0\s+4\s+0\s+0\s+resolved\s"));
            Assert.That(run.Out, Does.Match(@"(?m)^marked sent\s+" + reports["acct_landed"].Id + @"\s+acct_landed"));
            Assert.That(run.Out, Does.Match(@"(?m)^resent\s+" + reports["acct_lost"].Id + @"\s+acct_lost"));
            Assert.That(run.Out, Does.Contain("Clean."));
            Assert.That(await StatusOfAsync(reports["acct_landed"].Id), Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(await StatusOfAsync(reports["acct_lost"].Id), Is.EqualTo(UsageReportStatus.Cancelled));
            Assert.That(status.Out, Does.Match(@"(?m)^unknown\s+0$"));
            Assert.That(status.Out, Does.Match(@"(?m)^pending\s+1$"), "the replacement waits for the reporter");
            Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
            Assert.That(again.Out, Does.Contain("0 change(s)"));
        });
    }

    [Test]
    public async Task Reconcile_Json_ReportsDriftAndExits3()
    {
        var reports = await SeedUnknownAsync(("acct_landed", 6));
        await SendToStripeAsync(reports["acct_landed"], "cus_landed");
        await SendToStripeAsync(reports["acct_landed"] with { Identifier = "gu_not_from_this_ledger", Quantity = 2 }, "cus_landed");

        var run = await ReconcileAsync("reconcile", "--period", Period, "--json");

        using var json = JsonDocument.Parse(run.Out);
        var row = json.RootElement.GetProperty("report").GetProperty("rows")[0];
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
            Assert.That(json.RootElement.GetProperty("isClean").GetBoolean(), Is.False);
            Assert.That(row.GetProperty("state").GetString(), Is.EqualTo("drift"));
            Assert.That(row.GetProperty("stripeTotal").GetDecimal(), Is.EqualTo(8m));
            Assert.That(run.Error, Does.Not.Contain("reconciling:"), "no progress display in --json");
        });
        Assert.That(await StatusOfAsync(reports["acct_landed"].Id), Is.EqualTo(UsageReportStatus.Unknown), "nothing is resolved on evidence that does not add up");
    }

    [TestCase(true, false)]
    [TestCase(true, true)]
    [TestCase(false, false)]
    public async Task Reconcile_Progress_IsShownOnlyOnATerminalWithoutJson(bool terminal, bool json)
    {
        await SeedUnknownAsync(("acct_lost", 4));
        string[] args = json ? ["reconcile", "--period", Period, "--json"] : ["reconcile", "--period", Period];

        var run = await ToolRun.RunAsync(Now, StripeVariables, terminal, [.. args, .. Ledger.Arguments]);

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Error.Contains("reconciling: summaries 1/1", StringComparison.Ordinal), Is.EqualTo(terminal && !json), run.Error);
            Assert.That(run.Out, Does.Not.Contain("reconciling:"), "progress never goes to standard output");
        });
    }

    [TestCase("2026-11-02T10:30Z..2026-11-03", "periodStart")]
    [TestCase("2026-11-03..2026-11-02", "periodEnd")]
    [TestCase("november", "--period")]
    public async Task Reconcile_BadPeriod_Exits1NamingIt(string period, string named)
    {
        await SeedUnknownAsync(("acct_lost", 4));

        var run = await ReconcileAsync("reconcile", "--period", period);

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Error, Does.Contain(named.StartsWith("--", StringComparison.Ordinal) ? named : "The period must"));
            Assert.That(_stripe.RequestCount, Is.Zero);
        });
    }

    [Test]
    public async Task Reconcile_WithoutAStripeKey_Exits1AndChangesNothing()
    {
        var reports = await SeedUnknownAsync(("acct_lost", 4));

        var run = await RunAsync("reconcile", "--period", Period);

        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Error, Does.Contain("STRIPE_API_KEY"));
            Assert.That(await StatusOfAsync(reports["acct_lost"].Id), Is.EqualTo(UsageReportStatus.Unknown));
        });
    }

    private Dictionary<string, string> StripeVariables =>
        new() { ["STRIPE_API_KEY"] = StripeStandIn.DefaultApiKey, ["STRIPE_API_BASE"] = _stripe.BaseAddress!.ToString() };

    private Task<ToolRun> ReconcileAsync(params string[] args) => ToolRun.RunAsync(Now, StripeVariables, [.. args, .. Ledger.Arguments]);

    /// <summary>Closes each account's usage into a report, mapped to cus_…, and parks it as unknown (attempted, no answer).</summary>
    private async Task<Dictionary<string, UsageReport>> SeedUnknownAsync(params (string Account, long Quantity)[] usage)
    {
        foreach (var (account, _) in usage)
        {
            var customer = "cus_" + account["acct_".Length..];
            _stripe.AddCustomer(customer);
            await Ledger.Accounts.SaveAccountAsync(new UsageAccount(account) { StripeCustomerId = customer });
        }

        await Ledger.Usage.WriteAsync(usage.Select(u => new UsageIncrement(u.Account, Usage, Bucket, u.Quantity, null, Bucket)).ToList());
        var closed = await Ledger.Reports.CloseAsync(usage.Select(u => new ReportClosing(u.Account, Usage, Bucket, Bucket.AddHours(1), null)).ToList(), ClosedAt);
        var claimed = await Ledger.Reports.ClaimDueAsync(new ReportClaim("seed", ClosedAt, ClosedAt.AddMinutes(5), 10));
        await Ledger.Reports.CompleteAsync(claimed.Select(r => new ReportCompletion(r.Id, "seed", UsageReportStatus.Unknown, ClosedAt) { Error = "no answer" }).ToList());
        return closed.ToDictionary(r => r.Account);
    }

    /// <summary>Delivers a report's meter event straight to the stand-in, as a lost answer would have left it.</summary>
    private async Task SendToStripeAsync(UsageReport report, string customer)
    {
        var client = new StripeNet.StripeClient(StripeStandIn.DefaultApiKey, apiBase: _stripe.BaseAddress!.ToString().TrimEnd('/'));
        await new StripeNet.Billing.MeterEventService(client).CreateAsync(new StripeNet.Billing.MeterEventCreateOptions
        {
            EventName = Usage,
            Identifier = report.Identifier,
            Timestamp = report.BucketStart.UtcDateTime,
            Payload = new Dictionary<string, string> { ["stripe_customer_id"] = customer, ["value"] = report.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
    }
}
