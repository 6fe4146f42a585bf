namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// Nothing lost, nothing counted twice (DESIGN §1): after many increments over several buckets, with late usage and
/// failures on the way, the back end's totals equal the ledger's for every billable account, and free accounts get nothing.
/// </summary>
public sealed class ExactTotalsTests : ReportingTest
{
    private static readonly string[] Paid = ["acct_a", "acct_b", "acct_c", "acct_d", "acct_e"];
    private static readonly string[] Free = ["free_a", "free_b"];
    private static readonly string[] Meters = [Usage, ApiCalls, Tokens];

    [Test]
    public async Task ReportAsync_ManyIncrementsOverSeveralBuckets_BackEndTotalsEqualLocalTotalsOfBillableAccounts()
    {
        foreach (var account in Paid)
        {
            await MapAsync(account, Customer(account));
        }

        foreach (var account in Free)
        {
            await MapAsync(account, Customer(account), billable: false);
        }

        var random = new Random(20250310);
        var expected = new Dictionary<(string Account, string Meter), long>();
        // Failures on the way: refused answers, lost answers and exceptions, all retried.
        Sink.ForAll(SinkAction.Transient(), times: 7);
        Sink.ForAll(SinkAction.AcceptThenThrow(), times: 5);
        Sink.ForAll(SinkAction.Throw(), times: 3);
        var reporter = CreateReporter();
        var runs = new List<ReportRun>();

        for (var hour = 0; hour < 6; hour++)
        {
            At(TimeSpan.FromHours(hour) + TimeSpan.FromMinutes(59));
            var increments = new List<Task>();
            for (var i = 0; i < 400; i++)
            {
                var account = i % 9 == 0 ? Free[random.Next(Free.Length)] : Paid[random.Next(Paid.Length)];
                var meter = Meters[random.Next(Meters.Length)];
                var quantity = random.Next(1, 1_000);
                // Mostly this hour; some late into the two hours before, which may be reported already.
                var bucket = Math.Max(0, hour - (random.Next(10) < 2 ? random.Next(1, 3) : 0));
                var timestamp = Start + TimeSpan.FromHours(bucket) + TimeSpan.FromMinutes(random.Next(60));
                expected[(account, meter)] = expected.GetValueOrDefault((account, meter)) + quantity;
                increments.Add(Meter.IncrementAsync(account, quantity, meter, timestamp: timestamp));
            }

            await Task.WhenAll(increments);
            runs.Add(await reporter.ReportAsync());
        }

        // Settle: every bucket ended, every retry due.
        for (var i = 0; i < 10; i++)
        {
            Clock.Advance(TimeSpan.FromMinutes(10));
            runs.Add(await reporter.ReportAsync());
            if ((await ReportsAsync(status: UsageReportStatus.Pending)).Count == 0)
            {
                break;
            }
        }

        var reports = await ReportsAsync();
        var localTotals = new Dictionary<(string Account, string Meter), MeterUsage>();
        foreach (var account in Paid.Concat(Free))
        {
            foreach (var meter in Meters)
            {
                localTotals[(account, meter)] = await LocalAsync(account, meter);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(reports.Select(r => r.Status).Distinct(), Is.EquivalentTo(new[] { UsageReportStatus.Sent, UsageReportStatus.Skipped }), "nothing left pending, failed or unknown");
            Assert.That(runs.Sum(r => r.WaitingForRetry), Is.EqualTo(15), "every injected failure was retried");
            Assert.That(reports.Count(r => r.Status == UsageReportStatus.Sent), Is.EqualTo(runs.Sum(r => r.Sent)));
            Assert.That(reports.Count(r => r.Status == UsageReportStatus.Sent), Is.EqualTo(Sink.Accepted.Count), "one accepted identifier per sent report");
            foreach (var ((account, meter), local) in localTotals)
            {
                Assert.That(local.Quantity, Is.EqualTo(expected.GetValueOrDefault((account, meter))), $"{account}/{meter} counted");
                Assert.That(local.SentQuantity + local.SkippedQuantity, Is.EqualTo(local.Quantity), $"{account}/{meter} fully reported");
            }

            foreach (var account in Paid)
            {
                Assert.That(Sink.Total(Customer(account), Usage), Is.EqualTo(localTotals[(account, Usage)].Quantity), $"{account} usage");
                Assert.That(Sink.Total(Customer(account), ApiCalls), Is.EqualTo(localTotals[(account, ApiCalls)].Quantity), $"{account} api_calls");
                Assert.That(Sink.Total(Customer(account), TokensEvent), Is.EqualTo(localTotals[(account, Tokens)].Quantity), $"{account} tokens under its Stripe event name");
                Assert.That(Sink.Total(Customer(account), Tokens), Is.Zero, $"{account} nothing under the meter's own name");
            }

            Assert.That(Sink.Calls.Select(c => c.Account).Intersect(Free), Is.Empty, "free accounts got nothing");
            Assert.That(Sink.Totals.Keys.Select(k => k.Customer).Distinct(), Is.SubsetOf(Paid.Select(Customer)));
            Assert.That(Free.Sum(a => Meters.Sum(m => localTotals[(a, m)].Quantity)), Is.GreaterThan(0), "free accounts did use something");
            Assert.That(Sink.Totals.Values.Sum(), Is.EqualTo(Paid.Sum(a => Meters.Sum(m => expected.GetValueOrDefault((a, m))))));
        });
    }

    private static string Customer(string account) => "cus_" + account;
}
