// The package smoke test's host (eng/package-smoke.sh): the packed Gravity.Usage packages and EF Core's SQLite
// provider in one process. Exits non-zero on any mismatch.
using System.Diagnostics;
using Gravity.Usage;
using Gravity.Usage.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

var failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok)
    {
        failures++;
    }
}

var directory = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), $"gravity-usage-smoke-{Environment.ProcessId}");
Directory.CreateDirectory(directory);
var clock = Stopwatch.StartNew();

// 1. EF Core writes a row on its own SQLite file.
var efPath = Path.Combine(directory, "app.db");
await using (var db = new AppDb(efPath))
{
    await db.Database.EnsureDeletedAsync();
    await db.Database.EnsureCreatedAsync();
    db.Notes.Add(new Note { Text = "written through EF Core" });
    await db.SaveChangesAsync();
}

// 2. Gravity.Usage increments on another SQLite file and reports to the Stripe stand-in.
await using var stripe = new StripeStandIn();
var apiBase = await stripe.StartAsync();
stripe.AddMeter("api_calls");
var customer = stripe.AddCustomer("cus_1");

var usagePath = Path.Combine(directory, "usage.db");
await using var provider = new ServiceCollection()
    .AddLogging()
    .AddUsageBilling(usage => usage
        .UseSqlite($"Data Source={usagePath}")
        .AddMeter("api_calls")
        .UseStripe(o =>
        {
            o.ApiKey = StripeStandIn.DefaultApiKey;
            o.ApiBase = apiBase;
        }))
    .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

var meter = provider.GetRequiredService<UsageMeter>();
var accounts = provider.GetRequiredService<IUsageAccountStore>();
var reporter = provider.GetRequiredService<IUsageReporter>();
await accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = customer });

var lastHour = DateTimeOffset.UtcNow.AddHours(-1);
long incremented = 0;
for (var i = 0; i < 5; i++)
{
    var quantity = i + 1;
    var outcome = await meter.IncrementAsync("acct", quantity, "api_calls", idempotencyKey: $"req-{i}", timestamp: lastHour);
    Check(outcome == IncrementOutcome.Recorded, $"increment {i} recorded ({outcome})");
    incremented += quantity;
}
var again = await meter.IncrementAsync("acct", 1, "api_calls", idempotencyKey: "req-0", timestamp: lastHour);
Check(again == IncrementOutcome.Duplicate, $"a retried increment is a duplicate ({again})");

var usage = await meter.GetAsync("acct", lastHour.AddHours(-1), lastHour.AddHours(1));
Check(usage.GetMeter("api_calls").Quantity == incremented, $"ledger total {usage.GetMeter("api_calls").Quantity} == {incremented}");

var run = await reporter.ReportAsync();
Console.WriteLine($"     report run: closed {run.Closed}, sent {run.Sent}, failed {run.Failed}, waiting {run.WaitingForRetry}");
Check(run.Failed == 0 && run.Sent > 0, "the report run sent and nothing failed");
var total = stripe.GetMeterTotal("api_calls", customer);
Check(total == incremented, $"Stripe stand-in meter total {total} == {incremented}");

// 3. EF Core reads its row back, after Gravity.Usage used SQLite in the same process.
await using (var db = new AppDb(efPath))
{
    var notes = await db.Notes.AsNoTracking().ToListAsync();
    Check(notes is [{ Text: "written through EF Core" }], $"EF Core read back {notes.Count} row(s)");
}

Console.WriteLine($"     SQLite {SQLitePCL.raw.sqlite3_libversion().utf8_to_string()} through " +
    $"SQLitePCLRaw {typeof(SQLitePCL.raw).Assembly.GetName().Version}, " +
    $"Microsoft.Data.Sqlite {typeof(Microsoft.Data.Sqlite.SqliteConnection).Assembly.GetName().Version}, " +
    $"EF Core {typeof(DbContext).Assembly.GetName().Version}");
Console.WriteLine($"{(failures == 0 ? "PASS" : "FAIL")}: package smoke test, {failures} failure(s), {clock.ElapsedMilliseconds} ms");
return failures == 0 ? 0 : 1;

internal sealed class Note
{
    public int Id { get; set; }

    public required string Text { get; set; }
}

internal sealed class AppDb(string path) : DbContext
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.UseSqlite($"Data Source={path}");
}
