using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// The v2 meter event stream end to end: SQLite ledger, reporter, Stripe.net and the stand-in over loopback, with
/// session expiry and faults on the way. Stripe's totals end equal to the ledger's, every identifier accepted once.
/// </summary>
public sealed class MeterEventStreamEndToEndTests : EndToEndTest
{
    private const string StreamPath = "/v2/billing/meter_event_stream";

    [Test]
    public async Task ReportAsync_StreamWithExpiredSessionsAndFaults_StripeTotalsEqualTheLedgerAndNothingIsCountedTwice()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        Stripe.AddMeter(TokensEvent);
        var provider = BuildProvider(
            stripe: o =>
            {
                o.Api = StripeUsageApi.MeterEventStream;
                o.MaxNetworkRetries = 0;
            },
            reporting: r => r.DeliveryBatchSize = 1_000);
        var customers = Enumerable.Range(1, 150).ToDictionary(i => $"acct_{i:D3}", i => Stripe.AddCustomer($"cus_{i:D3}"), StringComparer.Ordinal);
        foreach (var (account, customer) in customers)
        {
            await MapAsync(provider, account, customer);
            await RecordAsync(provider, account, ApiCalls, 10 + customer.Length, HoursBeforeStart(2));
            await RecordAsync(provider, account, Tokens, 1_000, HoursBeforeStart(1));
        }

        // A stored 500 replayed after processing, a dropped connection, and a session that dies mid-run.
        Stripe.Faults.FailNext("POST", StreamPath, StripeFault.ServerError(500), 1, FaultTiming.AfterProcessing);
        Stripe.Faults.FailNext("POST", StreamPath, StripeFault.DropConnection(), 1, FaultTiming.AfterProcessing);
        var first = await provider.GetRequiredService<IUsageReporter>().ReportAsync();
        Stripe.ExpireMeterEventSessions();
        Clock.Advance(TimeSpan.FromHours(2));
        var runs = await RunUntilSettledAsync(provider);

        var reports = await ReportsAsync(provider);
        Assert.Multiple(async () =>
        {
            Assert.That(first.Closed, Is.EqualTo(300));
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            foreach (var (account, customer) in customers)
            {
                Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, account, ApiCalls)), account);
                Assert.That(Stripe.GetMeterTotal(TokensEvent, customer), Is.EqualTo(1_000), account);
            }

            Assert.That(reports.Select(r => Stripe.CountAcceptedIdentifier(r.Identifier)), Is.All.EqualTo(1), "each identifier counted once");
            Assert.That(Stripe.CountRequests("POST", StreamPath), Is.LessThan(20), "up to 100 events per request");
            Assert.That(Stripe.MeterEventErrors, Is.Empty);
            Assert.That(runs.Sum(r => r.Sent) + first.Sent, Is.EqualTo(300));
        });
    }

    [Test]
    public async Task ReportAsync_StreamEventStripeRejectsLater_IsSentButRecordedAsAnAsynchronousError()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var provider = BuildProvider(stripe: o => o.Api = StripeUsageApi.MeterEventStream);
        await MapAsync(provider, "acct_known", Stripe.AddCustomer("cus_known"));
        await MapAsync(provider, "acct_typo", "cus_does_not_exist");
        await RecordAsync(provider, "acct_known", ApiCalls, 5, HoursBeforeStart(1));
        await RecordAsync(provider, "acct_typo", ApiCalls, 7, HoursBeforeStart(1));

        var run = await provider.GetRequiredService<IUsageReporter>().ReportAsync();

        Assert.Multiple(() =>
        {
            // Stripe accepts the request and validates later: the library cannot know yet (README: "accepted").
            Assert.That(run.Sent, Is.EqualTo(2));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, "cus_known"), Is.EqualTo(5));
            Assert.That(Stripe.MeterEventErrors.Select(e => e.CustomerId), Is.EqualTo(new[] { "cus_does_not_exist" }));
        });
    }

    [Test]
    public async Task ReportAsync_TwoLedgersBillTheSameAccountAndHour_StripeCountsBoth()
    {
        // Staging and production (or a recreated database) on one Stripe account: before ledger ids, the second
        // ledger's event had the first one's identifier and Stripe dropped it as a duplicate.
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var customer = Stripe.AddCustomer("cus_shared");
        var totals = new List<long>();
        for (var ledger = 0; ledger < 2; ledger++)
        {
            var provider = BuildProvider();
            await MapAsync(provider, "acct_same", customer);
            await RecordAsync(provider, "acct_same", ApiCalls, 4, HoursBeforeStart(1));
            var run = await provider.GetRequiredService<IUsageReporter>().ReportAsync();
            Assert.That(run.Sent, Is.EqualTo(1));
            totals.Add(Stripe.GetMeterTotal(ApiCallsEvent, customer));
            await DisposeProvidersAsync();
            Database.Delete(); // the next ledger is a fresh database with the same history
        }

        Assert.That(totals, Is.EqualTo(new[] { 4L, 8L }));
    }
}
