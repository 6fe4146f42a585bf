using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>With 30% of Stripe's answers failing in every transient way, repeated runs converge on exact totals (DESIGN §5).</summary>
public sealed class FaultToleranceEndToEndTests : EndToEndTest
{
    private const int Accounts = 30;
    private const int Hours = 5;
    private const int Reports = Accounts * 2 * Hours;

    [Test]
    public async Task ReportAsync_ThirtyPercentOfRequestsFail_RunsConvergeOnExactTotalsWithEachIdentifierAcceptedOnce()
    {
        await StartStripeAsync(o => o.FaultSeed = 20_261_121);
        Stripe.AddMeter(ApiCallsEvent);
        Stripe.AddMeter(TokensEvent);
        var rules = AddTransientFaults(
        [
            (StripeFault.ServerError(500), FaultTiming.BeforeProcessing, 0.05),
            (StripeFault.ServerError(503), FaultTiming.AfterProcessing, 0.05),
            (StripeFault.TooManyRequests(), FaultTiming.BeforeProcessing, 0.05),
            (StripeFault.Conflict(), FaultTiming.BeforeProcessing, 0.04),
            (StripeFault.Timeout(), FaultTiming.BeforeProcessing, 0.02),
            (StripeFault.Timeout(), FaultTiming.AfterProcessing, 0.03),
            (StripeFault.DropConnection(), FaultTiming.BeforeProcessing, 0.03),
            (StripeFault.DropConnection(), FaultTiming.AfterProcessing, 0.03),
        ]);
        // Retried across runs only, which keeps the test short; timeouts end after 2 s of real time.
        var provider = BuildProvider(stripe: o =>
        {
            o.MaxNetworkRetries = 0;
            o.RequestTimeout = TimeSpan.FromSeconds(2);
        });
        var customers = new Dictionary<string, string>(StringComparer.Ordinal);
        var writes = new List<Task>();
        for (var a = 0; a < Accounts; a++)
        {
            var account = $"acct_{a:D2}";
            customers[account] = Stripe.AddCustomer();
            await MapAsync(provider, account, customers[account]);
            for (var hour = 1; hour <= Hours; hour++)
            {
                writes.Add(RecordAsync(provider, account, ApiCalls, 1 + ((a + hour) % 9), HoursBeforeStart(hour)));
                writes.Add(RecordAsync(provider, account, ApiCalls, 5, HoursBeforeStart(hour).AddMinutes(30)));
                writes.Add(RecordAsync(provider, account, Tokens, 1_000 + (a * hour), HoursBeforeStart(hour).AddMinutes(45)));
            }
        }

        await Task.WhenAll(writes);

        var runs = await RunUntilSettledAsync(provider, maxRuns: 15);

        var reports = await ReportsAsync(provider);
        var requests = Stripe.CountRequests("POST", MeterEventsPath);
        TestContext.Out.WriteLine($"{runs.Count} runs, {requests} requests for {Reports} reports, {Stripe.Faults.TotalStrikes} faults; most attempts of a report: {reports.Max(r => r.Attempts)}");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(reports, Has.Count.EqualTo(Reports));
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent), "nothing stuck, failed or parked");
            Assert.That(runs.Sum(r => r.Sent), Is.EqualTo(Reports));
            Assert.That(runs.Sum(r => r.Failed + r.Unknown), Is.Zero);
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(reports.Select(r => r.Identifier)));
            Assert.That(reports.Select(r => Stripe.CountAcceptedIdentifier(r.Identifier)), Is.All.EqualTo(1), "each identifier accepted exactly once");
            foreach (var (account, customer) in customers)
            {
                Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, account, ApiCalls)), account);
                Assert.That(Stripe.GetMeterTotal(TokensEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, account, Tokens)), account);
            }

            // Bounded effort: retries do not run away.
            Assert.That(requests, Is.LessThanOrEqualTo(Reports * 5));
            Assert.That(reports.Max(r => r.Attempts), Is.LessThanOrEqualTo(10));
            Assert.That(runs, Has.Count.GreaterThan(1), "some reports needed a later run");

            // The faults really happened, each kind of them.
            foreach (var rule in rules)
            {
                Assert.That(rule.Strikes, Is.GreaterThan(0), rule.ToString());
            }

            Assert.That((double)Stripe.Faults.TotalStrikes / Stripe.Faults.Rules[0].Matches, Is.InRange(0.2, 0.4), "about 30% of requests failed");
        });
    }

    /// <summary>
    /// Adds one rule per fault on meter events. The stand-in applies the first rule that strikes, so each rule's own
    /// probability is its share of all requests divided by what earlier rules leave over: the shares add up exactly.
    /// </summary>
    private List<StripeFaultRule> AddTransientFaults(IReadOnlyList<(StripeFault Fault, FaultTiming Timing, double Share)> faults)
    {
        var rules = new List<StripeFaultRule>();
        var left = 1.0;
        foreach (var (fault, timing, share) in faults)
        {
            rules.Add(Stripe.Faults.FailRandomly("POST", MeterEventsPath, fault, share / left, timing));
            left -= share;
        }

        Assert.That(1.0 - left, Is.EqualTo(0.30).Within(1e-9));
        return rules;
    }
}
