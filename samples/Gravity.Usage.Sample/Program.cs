// Gravity.Usage sample: the host application's side of usage billing, end to end on a local SQLite file.
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

// 1. Register usage billing: a SQLite ledger and the meters the application counts.
var services = new ServiceCollection()
    .AddUsageBilling(usage => usage
        .UseSqlite($"Data Source={options.DatabasePath}")
        .AddMeter("api_calls")
        .AddMeter("tokens"))
    .BuildServiceProvider();

await using (services)
{
    var meter = services.GetRequiredService<UsageMeter>();

    // 2. The host's customers. The last one is on the free plan: tracked like everyone else, never billed.
    var accounts = Enumerable.Range(1, options.Accounts).Select(i => $"acct_{i:D3}").ToList();
    string PlanOf(string account) => account == accounts[^1] ? "free" : "pro";

    // 3. Traffic: every request records usage wherever it happens; the task completes once the usage is durable.
    Console.WriteLine($"Ledger: {options.DatabasePath}");
    Console.WriteLine($"Simulating {options.Increments:N0} requests from {options.Accounts} accounts with {options.Concurrency} concurrent callers...");
    var result = await TrafficSimulator.RunAsync(meter, accounts, options);
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"Recorded {result.Recorded:N0} requests in {result.Elapsed.TotalMilliseconds:N0} ms; {result.Duplicates:N0} client retries were recognised and not counted twice."));

    // 4. Show usage for the current billing period (this calendar month, UTC).
    var now = TimeProvider.System.GetUtcNow();
    var periodStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
    var periodEnd = periodStart.AddMonths(1);
    var rows = new List<(string, string, UsageSummary)>();
    foreach (var account in accounts)
    {
        rows.Add((account, PlanOf(account), await meter.GetAsync(account, periodStart, periodEnd)));
    }

    Console.WriteLine();
    Console.WriteLine($"Usage from {periodStart:yyyy-MM-dd} to {periodEnd:yyyy-MM-dd} (UTC), all runs against this ledger:");
    UsageTable.Print(rows, ["api_calls", "tokens"]);
}

return 0;
