// Gravity.Usage sample: the whole loop of usage billing on a local SQLite ledger. Traffic is counted, a report run
// sends the usage of paying accounts to Stripe (the local stand-in unless STRIPE_API_KEY holds a test key), and the
// free account's usage is tracked but skipped.
using System.Globalization;
using Gravity.Usage;
using Gravity.Usage.Sample;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// 1. Choose where usage is billed: the local stand-in by default, Stripe's test mode with STRIPE_API_KEY.
await using var stripe = await StripeEndpoint.OpenAsync(Environment.GetEnvironmentVariable("STRIPE_API_KEY"));
(string Meter, MeterKind Kind, string EventName)[] meters =
[
    ("api_calls", MeterKind.Sum, "gravity_sample_api_calls"),
    ("tokens", MeterKind.Sum, "gravity_sample_tokens"),
    ("seats", MeterKind.Last, "gravity_sample_seats"), // a gauge: the period bills the latest count
];
var eventNames = meters.ToDictionary(m => m.Meter, m => m.EventName, StringComparer.Ordinal);
foreach (var (meterName, kind, eventName) in meters)
{
    // Sums go to a Stripe meter that sums; gauges to one that keeps the last value of the period.
    await stripe.EnsureMeterAsync(eventName, $"Gravity.Usage sample {meterName}", kind == MeterKind.Sum ? "sum" : "last");
}

// 2. Register usage billing in an ASP.NET Core host: a SQLite (or, with --postgres, PostgreSQL) ledger, the meters and
//    their Stripe event names, Stripe as the sink through the Stripe.net client the app already has, and Stripe's
//    webhook (invoice-time flush, asynchronous meter errors). The host runs in process on ASP.NET Core's test server,
//    so the sample needs no port; a real host maps the same endpoint on its public address.
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseTestServer();
builder.Logging.ClearProviders();
builder.Services
    .AddUsageBilling(usage => (options.PostgresConnectionString is { } postgres
            ? usage.UsePostgreSql(postgres)
            : usage.UseSqlite($"Data Source={options.DatabasePath}"))
        .AddMeter("api_calls", m => m.StripeEventName = eventNames["api_calls"])
        .AddMeter("tokens", m => m.StripeEventName = eventNames["tokens"])
        .AddMeter("seats", m => (m.Kind, m.StripeEventName) = (MeterKind.Last, eventNames["seats"]))
        .ConfigureReporting(r => r.IncludeOpenBuckets = true) // a demo sends the hour in progress too
        .UseStripe(_ => stripe.Client))
    .AddStripeUsageWebhook(o => o.WebhookSecret = SampleWebhook.Secret);
var app = builder.Build();
app.MapStripeUsageWebhook(SampleWebhook.Path);
await app.StartAsync();

await using (app)
{
    var services = app.Services;
    var meter = services.GetRequiredService<UsageMeter>();
    var reporter = services.GetRequiredService<IUsageReporter>();
    var accountStore = services.GetRequiredService<IUsageAccountStore>();

    // 3. Map the host's customers to Stripe, each with its subscription's billing cycle (Stripe's billing_cycle_anchor):
    //    usage is cut at the cycle's boundaries, so it lands on the invoice of the period it belongs to. The last
    //    account is on the free plan: tracked like everyone else, never billed.
    var accounts = Enumerable.Range(1, options.Accounts).Select(i => $"acct_{i:D3}").ToList();
    var customers = new Dictionary<string, string>(StringComparer.Ordinal);
    int[] renewalDays = [31, 14, 1, 20];
    for (var i = 0; i < accounts.Count; i++)
    {
        var account = accounts[i];
        var free = account == accounts[^1];
        var customer = free ? null : await stripe.CreateCustomerAsync(account);
        if (customer is not null)
        {
            customers[account] = customer;
        }

        var anchor = new DateTimeOffset(2026, 1, renewalDays[i % renewalDays.Length], 9, 30, 0, TimeSpan.Zero);
        await accountStore.SaveAccountAsync(new UsageAccount(account) { StripeCustomerId = customer, Billable = !free, BillingCycle = BillingCycle.Monthly(anchor) });

        // Seats are a gauge: the host records the count whenever it changes; Stripe bills the period's latest.
        await meter.SetAsync(account, 3 + i, "seats");
    }

    Console.WriteLine($"Ledger: {options.LedgerLabel}");
    Console.WriteLine($"Billing: {stripe.Label}");

    // 4. Traffic: every request records usage where it happens; the task completes once the usage is durable.
    Console.WriteLine($"Simulating {options.Increments:N0} requests from {options.Accounts} accounts with {options.Concurrency} concurrent callers...");
    var traffic = await TrafficSimulator.RunAsync(meter, accounts, options);
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"Recorded {traffic.Recorded:N0} requests in {traffic.Elapsed.TotalMilliseconds:N0} ms; {traffic.Duplicates:N0} client retries were recognised and not counted twice."));

    // Mid-period, the first account adds two seats.
    await meter.SetAsync(accounts[0], 5, "seats");

    // 5. Report: close the usage into reports and deliver them. Hosts schedule this (AddUsageReportingService).
    var earlier = await reporter.ListReportsAsync(new UsageReportQuery { Limit = int.MaxValue });
    var lastReport = earlier.Count == 0 ? 0 : earlier[^1].Id;
    var run = await reporter.ReportAsync();
    Console.WriteLine($"Report run: {run.Closed} reports closed, {run.Sent} sent, {run.Skipped} skipped (free), {run.Failed} failed, {run.WaitingForRetry} waiting for retry.");
    foreach (var failure in run.Failures)
    {
        Console.WriteLine($"  {failure.Account}/{failure.Meter}: {failure.LastError}");
    }

    Console.WriteLine();
    Console.WriteLine("This run's reports:");
    ReportTable.Print(await reporter.ListReportsAsync(new UsageReportQuery { AfterId = lastReport, Limit = int.MaxValue }), eventNames, customers, stripe.StandIn);

    // 6. A correction: support refunds calls that a retried batch job recorded twice. That usage was already sent, so
    //    the next run cancels its meter event (Stripe allows it for 24 hours) and sends the corrected value instead.
    var now = TimeProvider.System.GetUtcNow();
    var refunded = accounts[0];
    var buckets = await meter.GetSeriesAsync(refunded, now.AddHours(-2), now.AddMinutes(5), "api_calls");
    var counted = buckets.Count == 0 ? 0 : buckets[^1].Quantity;
    if (counted > 0)
    {
        var correction = await meter.CorrectAsync(refunded, -Math.Min(5, counted), "api_calls", now, "Refund: a retried batch job counted these calls twice", $"refund-{Guid.NewGuid():N}");
        Console.WriteLine();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Correction #{correction.Id} of {refunded}: {correction.Delta} api_calls (\"{correction.Reason}\"): {correction.FromUnreported} from usage not yet reported, {correction.AwaitingCancellation} awaiting cancellation at Stripe, {correction.NeedsCredit} needing a credit."));
        var corrected = await reporter.ReportAsync();
        Console.WriteLine($"Report run: {corrected.Cancelled} meter events cancelled at Stripe, {corrected.Sent} sent (the corrected value, under a new identifier), {corrected.NeedsCredit} needing a credit.");
    }

    // 7. Invoice time: Stripe creates the draft invoice of a renewed subscription and sends invoice.created; the
    //    webhook reports the customer's accounts at once, the hour in progress included, before the draft is
    //    finalized (about an hour later). Here the sample signs the event itself, as Stripe would.
    var invoiced = accounts[0];
    await meter.IncrementAsync(invoiced, 25, "api_calls");
    var pendingBefore = (await meter.GetAsync(invoiced, now.AddDays(-1), now.AddDays(1), "api_calls")).GetMeter("api_calls").PendingQuantity;
    var answer = await SampleWebhook.SendInvoiceCreatedAsync(app, customers[invoiced]);
    var pendingAfter = await SampleWebhook.WaitForFlushAsync(meter, invoiced, now);
    Console.WriteLine();
    Console.WriteLine($"Signed invoice.created for {customers[invoiced]} ({invoiced}): webhook answered {answer}; usage of {invoiced} not yet at Stripe: {pendingBefore} before, {pendingAfter} after the flush.");

    // 8. Reconcile: compare what the ledger sent with Stripe's hourly meter totals (the operations tool does the same:
    //    gravity-usage reconcile --period). Unknown reports would be settled here; a clean period changes nothing.
    var reconciler = services.GetRequiredService<IUsageReconciler>();
    var hour = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);
    var reconciliation = await reconciler.ReconcileAsync(hour.AddHours(-2), hour.AddHours(2));
    Console.WriteLine();
    Console.WriteLine("Reconciliation with Stripe (per account, meter and hour; the ledger's sent reports against Stripe's meter event summaries):");
    ReconciliationTable.Print(reconciliation);

    // 9. Show each account's usage in its current billing period (the period its subscription is in now).
    var rows = new List<(string, string, UsageSummary)>();
    foreach (var account in accounts)
    {
        rows.Add((account, customers.ContainsKey(account) ? "pro" : "free", await meter.GetCurrentPeriodAsync(account)));
    }

    Console.WriteLine();
    Console.WriteLine("Usage in each account's current billing period (UTC), all runs against this ledger; in brackets what Stripe has billed:");
    UsageTable.Print(rows, ["api_calls", "tokens", "seats"]);
}

return 0;
