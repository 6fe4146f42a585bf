// Test host: a child process for the crash and multi-instance tests, against a SQLite file or a PostgreSQL schema.
// Usage:
//   Gravity.Usage.TestHost report (--database PATH | --postgres CONNSTRING --schema NAME) --stripe-base URL --api-key KEY
//       --meter NAME [--lease-seconds N] [--loop-seconds S]
//   Gravity.Usage.TestHost increment (--database PATH | --postgres CONNSTRING --schema NAME) --accounts N --count M
//       --meter NAME [--seed S]
using System.Globalization;
using Gravity.Usage;
using Microsoft.Extensions.DependencyInjection;

const string UsageText = """
    Usage: report (--database PATH | --postgres CONNSTRING --schema NAME) --stripe-base URL --api-key KEY --meter NAME [--lease-seconds N] [--loop-seconds S]
           increment (--database PATH | --postgres CONNSTRING --schema NAME) --accounts N --count M --meter NAME [--seed S]
    """;

var command = args.FirstOrDefault();
if (command is not ("report" or "increment") || args.Length % 2 != 1)
{
    Console.Error.WriteLine(UsageText);
    return 2;
}

var options = args.Skip(1).Chunk(2).ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
var loopSeconds = options.TryGetValue("--loop-seconds", out var loop) ? int.Parse(loop, CultureInfo.InvariantCulture) : (int?)null;
var services = new ServiceCollection()
    .AddUsageBilling(usage =>
    {
        if (options.TryGetValue("--postgres", out var connectionString))
        {
            usage.UsePostgreSql(o =>
            {
                o.ConnectionString = connectionString;
                o.SchemaName = options["--schema"];
            });
        }
        else
        {
            usage.UseSqlite($"Data Source={options["--database"]}");
        }

        usage.AddMeter(options["--meter"]);
        if (command == "report")
        {
            usage
                .ConfigureReporting(o =>
                {
                    o.IncludeOpenBuckets = true;
                    o.MaxConcurrency = 4;
                    if (options.TryGetValue("--lease-seconds", out var lease))
                    {
                        o.LeaseDuration = TimeSpan.FromSeconds(int.Parse(lease, CultureInfo.InvariantCulture));
                    }

                    if (loopSeconds is not null)
                    {
                        // Retries within the test's run time.
                        o.RetryBaseDelay = TimeSpan.FromSeconds(1);
                        o.RetryMaxDelay = TimeSpan.FromSeconds(4);
                    }
                })
                .UseStripe(o =>
                {
                    o.ApiKey = options["--api-key"];
                    o.ApiBase = new Uri(options["--stripe-base"]);
                    o.MaxNetworkRetries = loopSeconds is null ? 0 : 1;
                    if (loopSeconds is not null)
                    {
                        o.RequestTimeout = TimeSpan.FromSeconds(2);
                        o.MaxRequestsPerSecond = 1_000;
                    }
                });
        }
    })
    .BuildServiceProvider();

await using (services)
{
    if (command == "increment")
    {
        await IncrementAsync(services.GetRequiredService<UsageMeter>(), options);
        return 0;
    }

    var reporter = services.GetRequiredService<IUsageReporter>();
    Console.WriteLine("READY");
    if (loopSeconds is not { } seconds)
    {
        var run = await reporter.ReportAsync();
        Console.WriteLine($"DONE sent={run.Sent} failed={run.Failed} waiting={run.WaitingForRetry}");
        return 0;
    }

    await ReportInLoopAsync(reporter, TimeSpan.FromSeconds(seconds));
}

return 0;

// Increments from several callers at once, each with its own idempotency key, spread over the accounts; prints the
// number and sum of the increments recorded.
static async Task IncrementAsync(UsageMeter meter, Dictionary<string, string> options)
{
    var accounts = int.Parse(options["--accounts"], CultureInfo.InvariantCulture);
    var count = int.Parse(options["--count"], CultureInfo.InvariantCulture);
    var meterName = options["--meter"];
    var seed = options.TryGetValue("--seed", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
    var keyPrefix = $"inc-{seed}-{Guid.NewGuid():N}-";
    const int Callers = 8;
    long recorded = 0;
    long quantity = 0;
    var next = -1;
    Console.WriteLine("READY");
    var callers = Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
    {
        var random = new Random(HashCode.Combine(seed, caller));
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var amount = random.Next(1, 10);
            var outcome = await meter.IncrementAsync($"acct_{i % accounts:D2}", amount, meterName, idempotencyKey: keyPrefix + i.ToString(CultureInfo.InvariantCulture));
            if (outcome == IncrementOutcome.Recorded)
            {
                Interlocked.Increment(ref recorded);
                Interlocked.Add(ref quantity, amount);
            }
        }
    }));
    await Task.WhenAll(callers);
    Console.WriteLine($"DONE recorded={recorded} quantity={quantity}");
}

// Runs the reporter again and again until the time passed and nothing is pending; gives up waiting for pending reports
// 10 seconds later (such as those leased by a reporter that died: another reporter takes them over later).
static async Task ReportInLoopAsync(IUsageReporter reporter, TimeSpan duration)
{
    var started = TimeProvider.System.GetTimestamp();
    int runs = 0, sent = 0, failed = 0, waiting = 0, pending;
    while (true)
    {
        var run = await reporter.ReportAsync();
        runs++;
        sent += run.Sent;
        failed += run.Failed + run.Unknown;
        waiting += run.WaitingForRetry;
        pending = (await reporter.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.Pending, Limit = 1 })).Count;
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        if (elapsed >= duration && (pending == 0 || elapsed >= duration + TimeSpan.FromSeconds(10)))
        {
            break;
        }

        await Task.Delay(TimeSpan.FromMilliseconds(200));
    }

    Console.WriteLine($"DONE runs={runs} sent={sent} failed={failed} waiting={waiting} pending={pending}");
}
