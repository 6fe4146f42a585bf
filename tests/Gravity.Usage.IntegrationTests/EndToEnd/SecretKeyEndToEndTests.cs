using System.Text;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>The API key never appears in a log line, an exception message or a report row (DESIGN §5).</summary>
public sealed class SecretKeyEndToEndTests : EndToEndTest
{
    [Test]
    public async Task ReportAsync_SuccessesFaultsAndRefusals_NeitherKeyAppearsInLogsExceptionsReportsOrTheLedgerFile()
    {
        var secret = "sk_test_SECRET_" + Guid.NewGuid().ToString("N");
        var wrong = "sk_test_SECRET_" + Guid.NewGuid().ToString("N");
        await StartStripeAsync(o => o.AcceptApiKey = key => key == secret);
        Stripe.AddMeter(ApiCallsEvent);
        Stripe.AddMeter(TokensEvent);
        var texts = new List<string>();

        // A host configured with a wrong key: every report is refused with 401.
        var misconfigured = BuildProvider(stripe: o => o.ApiKey = wrong);
        texts.Add(misconfigured.GetRequiredService<IOptions<StripeOptions>>().Value.ToString());
        var customers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            customers[$"acct_{i}"] = Stripe.AddCustomer();
            await MapAsync(misconfigured, $"acct_{i}", customers[$"acct_{i}"]);
        }

        await MapAsync(misconfigured, "acct_ghost", "cus_ghost"); // refused for good even with the right key
        foreach (var account in customers.Keys.Append("acct_ghost"))
        {
            await RecordAsync(misconfigured, account, ApiCalls, 3, HoursBeforeStart(2));
            await RecordAsync(misconfigured, account, Tokens, 300, HoursBeforeStart(1));
        }

        var refused = await misconfigured.GetRequiredService<IUsageReporter>().ReportAsync();
        texts.AddRange(Describe(refused));

        // The right key, with transient failures of every kind on the way, retried across runs (no retries within a
        // call, so that every failure, the transport's exceptions included, reaches the log).
        var provider = BuildProvider(stripe: o =>
        {
            o.ApiKey = secret;
            o.MaxNetworkRetries = 0;
            o.RequestTimeout = TimeSpan.FromSeconds(2);
        });
        texts.Add(provider.GetRequiredService<IOptions<StripeOptions>>().Value.ToString());
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.DropConnection(), 2);
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.Timeout(), 2);
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.ServerError(502), 2, FaultTiming.AfterProcessing);
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.TooManyRequests(), 2);
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.Conflict(), 1);
        var redriven = await provider.GetRequiredService<IUsageReporter>().RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Failed });
        var runs = await RunUntilSettledAsync(provider);
        texts.AddRange(runs.SelectMany(Describe));
        var reports = await ReportsAsync(provider);
        texts.AddRange(reports.Select(r => r.ToString()));

        // The files while the ledger is open (the write-ahead log holds the latest pages), and after it was closed.
        var ledger = ReadLedgerFiles("open");
        await DisposeProvidersAsync();
        foreach (var (name, bytes) in ReadLedgerFiles("closed"))
        {
            ledger[name] = bytes;
        }

        var logs = Logs.Entries;
        Assert.Multiple(() =>
        {
            // The scenario did what it should, so that the absence of the keys below means something.
            Assert.That(refused.Failed, Is.EqualTo(10));
            Assert.That(refused.Failures.Select(r => r.LastError), Is.All.Contains("401"));
            Assert.That(redriven, Is.EqualTo(10));
            Assert.That(reports.Where(r => r.Account != "acct_ghost").Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(reports.Where(r => r.Account == "acct_ghost").Select(r => r.LastError), Is.All.Contains("No such customer"));
            Assert.That(Stripe.Faults.TotalStrikes, Is.EqualTo(9));
            Assert.That(customers.Values.Sum(c => Stripe.GetMeterTotal(ApiCallsEvent, c) + Stripe.GetMeterTotal(TokensEvent, c)), Is.EqualTo(4 * 303));
            Assert.That(logs.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message), Has.Some.Contains("401").And.Some.Contains("No such customer"));
            Assert.That(logs.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message), Has.Some.Contains("502").And.Some.Contains("429"));
            Assert.That(logs.Where(e => e.Exception is not null), Is.Not.Empty, "exceptions were logged");
            Assert.That(ledger.Keys, Is.SupersetOf(new[] { "open: " + Path.GetFileName(Database.Path), "open: " + Path.GetFileName(Database.Path) + "-wal", "closed: " + Path.GetFileName(Database.Path) }));

            foreach (var (name, key) in new[] { ("the key", secret), ("the wrong key", wrong) })
            {
                // The key, and its secret part without the well-known prefix.
                foreach (var needle in new[] { key, key["sk_test_SECRET_".Length..] })
                {
                    Assert.That(logs.Where(e => e.AllText.Contains(needle, StringComparison.Ordinal)).Select(e => e.AllText), Is.Empty, $"{name} in a log entry");
                    Assert.That(texts.Where(t => t.Contains(needle, StringComparison.Ordinal)), Is.Empty, $"{name} in a report, a run or the options");
                    foreach (var (file, bytes) in ledger)
                    {
                        Assert.That(Contains(bytes, Encoding.UTF8.GetBytes(needle)) || Contains(bytes, Encoding.Unicode.GetBytes(needle)), Is.False, $"{name} in {file}");
                    }
                }
            }
        });
    }

    private static IEnumerable<string> Describe(ReportRun run) =>
        run.Failures.Select(f => $"{f.Identifier} {f.Status} {f.LastError} {f.LastRequestId}").Append(run.ToString());

    /// <summary>The bytes of the database and of whatever SQLite keeps beside it (write-ahead log, shared memory, journal).</summary>
    private Dictionary<string, byte[]> ReadLedgerFiles(string when)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in new[] { string.Empty, "-wal", "-shm", "-journal" }.Select(suffix => Database.Path + suffix).Where(File.Exists))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[$"{when}: {Path.GetFileName(path)}"] = copy.ToArray();
        }

        return files;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
