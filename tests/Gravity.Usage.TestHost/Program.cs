// Test host: runs the usage reporter against a ledger file and a Stripe endpoint until told to stop or killed.
// Usage: Gravity.Usage.TestHost report --database PATH --stripe-base URL --api-key KEY --meter NAME [--lease-seconds N]
using System.Globalization;
using Gravity.Usage;
using Microsoft.Extensions.DependencyInjection;

var options = args.Skip(1).Chunk(2).ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
if (args.FirstOrDefault() != "report")
{
    Console.Error.WriteLine("Usage: report --database PATH --stripe-base URL --api-key KEY --meter NAME [--lease-seconds N]");
    return 2;
}

var services = new ServiceCollection()
    .AddUsageBilling(usage => usage
        .UseSqlite($"Data Source={options["--database"]}")
        .AddMeter(options["--meter"])
        .ConfigureReporting(o =>
        {
            o.IncludeOpenBuckets = true;
            o.MaxConcurrency = 4;
            if (options.TryGetValue("--lease-seconds", out var lease))
            {
                o.LeaseDuration = TimeSpan.FromSeconds(int.Parse(lease, CultureInfo.InvariantCulture));
            }
        })
        .UseStripe(o =>
        {
            o.ApiKey = options["--api-key"];
            o.ApiBase = new Uri(options["--stripe-base"]);
            o.MaxNetworkRetries = 0;
        }))
    .BuildServiceProvider();

await using (services)
{
    var reporter = services.GetRequiredService<IUsageReporter>();
    Console.WriteLine("READY");
    var run = await reporter.ReportAsync();
    Console.WriteLine($"DONE sent={run.Sent} failed={run.Failed} waiting={run.WaitingForRetry}");
}

return 0;
