// Gravity.Usage sample: the whole loop of usage billing on a local SQLite ledger. Traffic is counted, a report run
// sends the usage of paying accounts to Stripe (the local stand-in unless STRIPE_API_KEY holds a test key), and the
// free account's usage is tracked but skipped.
using System.Globalization;
using Gravity.Usage;
using Gravity.Usage.Sample;
using Microsoft.Extensions.DependencyInjection;

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
var eventNames = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["api_calls"] = "gravity_sample_api_calls",
    ["tokens"] = "gravity_sample_tokens",
};
foreach (var (meter, eventName) in eventNames)
{
    await stripe.EnsureMeterAsync(eventName, $"Gravity.Usage sample {meter}");
}

// 2. Register usage billing: a SQLite (or, with --postgres, PostgreSQL) ledger, the meters and their Stripe event
//    names, and Stripe as the sink, through the Stripe.net client the app already has.
var services = new ServiceCollection()
    .AddUsageBilling(usage => (options.PostgresConnectionString is { } postgres
            ? usage.UsePostgreSql(postgres)
            : usage.UseSqlite($"Data Source={options.DatabasePath}"))
        .AddMeter("api_calls", m => m.StripeEventName = eventNames["api_calls"])
        .AddMeter("tokens", m => m.StripeEventName = eventNames["tokens"])
        .ConfigureReporting(r => r.IncludeOpenBuckets = true) // a demo sends the hour in progress too
        .UseStripe(_ => stripe.Client))
    .BuildServiceProvider();

await using (services)
{
    var meter = services.GetRequiredService<UsageMeter>();
    var reporter = services.GetRequiredService<IUsageReporter>();
    var accountStore = services.GetRequiredService<IUsageAccountStore>();

    // 3. Map the host's customers to Stripe. The last one is on the free plan: tracked like everyone else, never billed.
    var accounts = Enumerable.Range(1, options.Accounts).Select(i => $"acct_{i:D3}").ToList();
    var customers = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (var account in accounts)
    {
        var free = account == accounts[^1];
        var customer = free ? null : await stripe.CreateCustomerAsync(account);
        if (customer is not null)
        {
            customers[account] = customer;
        }

        await accountStore.SaveAccountAsync(new UsageAccount(account) { StripeCustomerId = customer, Billable = !free });
    }

    Console.WriteLine($"Ledger: {options.LedgerLabel}");
    Console.WriteLine($"Billing: {stripe.Label}");

    // 4. Traffic: every request records usage where it happens; the task completes once the usage is durable.
    Console.WriteLine($"Simulating {options.Increments:N0} requests from {options.Accounts} accounts with {options.Concurrency} concurrent callers...");
    var traffic = await TrafficSimulator.RunAsync(meter, accounts, options);
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"Recorded {traffic.Recorded:N0} requests in {traffic.Elapsed.TotalMilliseconds:N0} ms; {traffic.Duplicates:N0} client retries were recognised and not counted twice."));

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

    // 6. Show usage for the current billing period (this calendar month, UTC).
    var now = TimeProvider.System.GetUtcNow();
    var periodStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
    var periodEnd = periodStart.AddMonths(1);
    var rows = new List<(string, string, UsageSummary)>();
    foreach (var account in accounts)
    {
        rows.Add((account, customers.ContainsKey(account) ? "pro" : "free", await meter.GetAsync(account, periodStart, periodEnd)));
    }

    Console.WriteLine();
    Console.WriteLine($"Usage from {periodStart:yyyy-MM-dd} to {periodEnd:yyyy-MM-dd} (UTC), all runs against this ledger:");
    UsageTable.Print(rows, ["api_calls", "tokens"]);
}

return 0;
