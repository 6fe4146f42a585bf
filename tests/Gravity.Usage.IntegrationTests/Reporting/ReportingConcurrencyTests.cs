using System.Collections.Concurrent;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// Overlapping report runs, in one store and across two stores on one file, and increments arriving while runs close
/// and deliver: every report is delivered exactly once and the totals stay exact (DESIGN §5.2, §6).
/// </summary>
public sealed class ReportingConcurrencyTests : ReportingTest
{
    private const int Accounts = 50;
    private const int Buckets = 20;

    [Test]
    public async Task FourRunsAndAnAccountRunAtOnce_Over2000Reports_EveryIdentifierIsDeliveredExactlyOnce()
    {
        var expected = new Dictionary<string, long>();
        for (var a = 0; a < Accounts; a++)
        {
            await MapAsync(AccountName(a), CustomerName(a));
        }

        Clock.SetUtcNow(Start + TimeSpan.FromHours(Buckets) + TimeSpan.FromMinutes(5));
        var increments = new List<Task<IncrementOutcome>>();
        for (var a = 0; a < Accounts; a++)
        {
            for (var b = 0; b < Buckets; b++)
            {
                foreach (var meter in new[] { Usage, ApiCalls })
                {
                    long quantity = a + b + 1;
                    expected[$"{CustomerName(a)}|{meter}"] = expected.GetValueOrDefault($"{CustomerName(a)}|{meter}") + quantity;
                    increments.Add(Meter.IncrementAsync(AccountName(a), quantity, meter, timestamp: Start + TimeSpan.FromHours(b) + TimeSpan.FromMinutes(1)));
                }
            }
        }

        await Task.WhenAll(increments);
        Sink.Latency = async () =>
        {
            if (Random.Shared.Next(8) == 0)
            {
                await Task.Delay(1);
            }
            else
            {
                await Task.Yield();
            }
        };
        // Two stores on the one file, as after a restart overlapping the old process, each with two reporters.
        var secondStore = CreateStore();
        var reporters = new[] { CreateReporter(), CreateReporter(), CreateReporter(store: secondStore), CreateReporter(store: secondStore) };
        var accountReporter = CreateReporter(store: secondStore);
        using var go = new ManualResetEventSlim();

        var runs = reporters.Select(r => Task.Run(() =>
        {
            go.Wait();
            return r.ReportAsync();
        })).Append(Task.Run(() =>
        {
            go.Wait();
            return accountReporter.ReportAccountAsync(AccountName(7));
        })).ToList();
        go.Set();
        var results = await Task.WhenAll(runs).WaitAsync(HangGuard);

        var reports = await ReportsAsync();
        var identifiers = Sink.Calls.Select(c => c.Identifier).ToList();
        var totals = Sink.Totals.ToDictionary(t => $"{t.Key.Customer}|{t.Key.EventName}", t => t.Value);
        Assert.Multiple(() =>
        {
            Assert.That(reports, Has.Count.EqualTo(Accounts * Buckets * 2));
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(results.Sum(r => r.Closed), Is.EqualTo(reports.Count), "each counter closed by exactly one run");
            Assert.That(results.Sum(r => r.Sent), Is.EqualTo(reports.Count), "each report marked sent by exactly one run");
            Assert.That(results[4].Sent, Is.LessThanOrEqualTo(Buckets * 2), "the account run delivers only its account");
            Assert.That(identifiers, Has.Count.EqualTo(reports.Count), "no report was sent twice");
            Assert.That(identifiers, Is.Unique);
            Assert.That(identifiers, Is.EquivalentTo(reports.Select(r => r.Identifier)));
            Assert.That(Sink.Calls.Select(c => c.Answer), Is.All.EqualTo(SinkAnswer.Accepted));
            Assert.That(totals, Is.EquivalentTo(expected));
        });
    }

    [Test]
    public async Task IncrementsWhileRunsCloseAndDeliver_AfterAFinalRun_BackEndTotalsEqualLocalTotals()
    {
        string[] paid = ["p0", "p1", "p2", "p3", "p4", "p5"];
        string[] free = ["f0", "f1"];
        string[] meters = [Usage, ApiCalls, Tokens];
        foreach (var account in paid)
        {
            await MapAsync(account, "cus_" + account);
        }

        foreach (var account in free)
        {
            await MapAsync(account, "cus_" + account, billable: false);
        }

        At(TimeSpan.FromHours(3));
        Sink.ForAll(SinkAction.Transient(), times: 10);
        Sink.ForAll(SinkAction.AcceptThenThrow(), times: 10);
        Sink.Latency = async () => await Task.Yield();
        var expected = new ConcurrentDictionary<(string Account, string Meter), long>();
        var reporter = CreateReporter();
        var accountReporter = CreateReporter();
        var runs = new ConcurrentQueue<ReportRun>();
        var rounds = 0;
        using var stop = new CancellationTokenSource();

        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 60; i++)
            {
                // Keep the runs going between the batches: at least one reporting round per six batches.
                while (Volatile.Read(ref rounds) < i / 6)
                {
                    await Task.Delay(1);
                }

                var batch = new List<Task<IncrementOutcome>>();
                for (var j = 0; j < 10; j++)
                {
                    var account = random.Next(4) == 0 ? free[random.Next(free.Length)] : paid[random.Next(paid.Length)];
                    var meter = meters[random.Next(meters.Length)];
                    var quantity = random.Next(1, 100);
                    // Anywhere in the three hours before the clock's start, so buckets being closed keep growing.
                    var timestamp = Start + TimeSpan.FromMinutes(random.Next(180));
                    expected.AddOrUpdate((account, meter), quantity, (_, total) => total + quantity);
                    batch.Add(Meter.IncrementAsync(account, quantity, meter, timestamp: timestamp));
                }

                Assert.That(await Task.WhenAll(batch), Is.All.EqualTo(IncrementOutcome.Recorded));
            }
        })).ToArray();
        var reporting = Task.Run(async () =>
        {
            var random = new Random(42);
            while (!stop.IsCancellationRequested)
            {
                runs.Enqueue(await reporter.ReportAsync());
                runs.Enqueue(await accountReporter.ReportAccountAsync(paid[random.Next(paid.Length)]));
                Clock.Advance(TimeSpan.FromSeconds(20));
                Interlocked.Increment(ref rounds);
            }
        });

        await Task.WhenAll(workers).WaitAsync(HangGuard);
        var runsDuringIncrements = runs.Count;
        await stop.CancelAsync();
        await reporting.WaitAsync(HangGuard);

        // Settle: every bucket ended, every retry due, then one final run.
        for (var i = 0; i < 20; i++)
        {
            Clock.Advance(TimeSpan.FromMinutes(10));
            runs.Enqueue(await reporter.ReportAsync());
            if ((await ReportsAsync(status: UsageReportStatus.Pending)).Count == 0)
            {
                break;
            }
        }

        runs.Enqueue(await reporter.ReportAsync());
        var reports = await ReportsAsync();
        var local = new Dictionary<(string Account, string Meter), MeterUsage>();
        foreach (var account in paid.Concat(free))
        {
            foreach (var meter in meters)
            {
                local[(account, meter)] = await LocalAsync(account, meter);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(runsDuringIncrements, Is.GreaterThanOrEqualTo(18), "runs overlapped the increments");
            Assert.That(runs.Sum(r => r.WaitingForRetry), Is.EqualTo(20), "every injected failure was retried");
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent).Or.EqualTo(UsageReportStatus.Skipped));
            Assert.That(reports.Select(r => r.Identifier), Is.Unique);
            Assert.That(Sink.Accepted, Has.Count.EqualTo(reports.Count(r => r.Status == UsageReportStatus.Sent)), "one accepted identifier per sent report");
            foreach (var ((account, meter), usage) in local)
            {
                Assert.That(usage.Quantity, Is.EqualTo(expected.GetValueOrDefault((account, meter))), $"{account}/{meter} counted");
                Assert.That(usage.SentQuantity + usage.SkippedQuantity, Is.EqualTo(usage.Quantity), $"{account}/{meter} fully closed");
                Assert.That(
                    reports.Where(r => r.Account == account && r.Meter == meter).Sum(r => r.Quantity),
                    Is.EqualTo(usage.Quantity),
                    $"{account}/{meter} reports add up to the counter");
            }

            foreach (var account in paid)
            {
                Assert.That(Sink.Total("cus_" + account, Usage), Is.EqualTo(local[(account, Usage)].Quantity), $"{account} usage");
                Assert.That(Sink.Total("cus_" + account, ApiCalls), Is.EqualTo(local[(account, ApiCalls)].Quantity), $"{account} api_calls");
                Assert.That(Sink.Total("cus_" + account, TokensEvent), Is.EqualTo(local[(account, Tokens)].Quantity), $"{account} tokens");
            }

            Assert.That(Sink.Calls.Select(c => c.Account).Intersect(free), Is.Empty, "free accounts got nothing");
        });
    }

    private static string AccountName(int a) => $"acct_{a:00}";

    private static string CustomerName(int a) => $"cus_{a:00}";
}
