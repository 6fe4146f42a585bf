using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>Legacy usage records (opt-in): the subscription item's usage equals the local totals, on a pinned API version (DESIGN §5).</summary>
public sealed class LegacyUsageRecordEndToEndTests : EndToEndTest
{
    [Test]
    public async Task ReportAsync_LegacyUsageRecords_SubscriptionItemTotalsEqualLocalTotalsOnThePinnedVersion()
    {
        await StartStripeAsync();
        var provider = BuildProvider(stripe: o =>
        {
            o.Api = StripeUsageApi.LegacyUsageRecords;
            o.MaxNetworkRetries = 0;
        });

        // Subscriptions whose current period covers every bucket the test writes (and real now, the stand-in's clock).
        var periodStart = Start.AddDays(-10);
        var periodEnd = Start.AddDays(20);
        var items = new Dictionary<(string Account, string Meter), string>();
        for (var i = 0; i < 3; i++)
        {
            var account = $"acct_{i}";
            var customer = Stripe.AddCustomer();
            items[(account, ApiCalls)] = Stripe.AddLegacySubscriptionItem(customer, periodStart, periodEnd);
            items[(account, Tokens)] = Stripe.AddLegacySubscriptionItem(customer, periodStart, periodEnd);
            await MapAsync(provider, account, customer, subscriptionItems: new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ApiCalls] = items[(account, ApiCalls)],
                [Tokens] = items[(account, Tokens)],
            });
            for (var hour = 1; hour <= 4; hour++)
            {
                await RecordAsync(provider, account, ApiCalls, 1 + i + hour, HoursBeforeStart(hour));
                await RecordAsync(provider, account, ApiCalls, 10, HoursBeforeStart(hour).AddMinutes(40));
                await RecordAsync(provider, account, Tokens, 500 * hour, HoursBeforeStart(hour).AddMinutes(15));
            }
        }

        // Usage records have no identifier: only the Idempotency-Key keeps a retry from counting twice.
        Stripe.Faults.FailNext("POST", "/v1/subscription_items/", StripeFault.DropConnection(), 2, FaultTiming.AfterProcessing);
        Stripe.Faults.FailNext("POST", "/v1/subscription_items/", StripeFault.ServerError(500), 1, FaultTiming.AfterProcessing);
        Stripe.Faults.FailNext("POST", "/v1/subscription_items/", StripeFault.TooManyRequests(), 1);

        var runs = await RunUntilSettledAsync(provider);

        var reports = await ReportsAsync(provider);
        var requests = Stripe.Requests.Where(r => r.Path.StartsWith("/v1/subscription_items/", StringComparison.Ordinal)).ToList();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(reports, Has.Count.EqualTo(3 * 8));
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(runs, Has.Count.GreaterThan(1), "the faults were retried in a later run");
            Assert.That(Stripe.Faults.TotalStrikes, Is.EqualTo(4));
            foreach (var ((account, meter), item) in items)
            {
                Assert.That(Stripe.GetUsageRecordTotal(item), Is.EqualTo(await LocalTotalAsync(provider, account, meter)), $"{account} {meter}");
            }

            Assert.That(Stripe.UsageRecordWrites, Has.Count.EqualTo(reports.Count), "one write per report; retries were replayed");
            Assert.That(requests, Has.Count.EqualTo(reports.Count + 4));
            Assert.That(requests.Select(r => r.StripeVersion), Is.All.EqualTo("2025-02-24.acacia"));
            Assert.That(requests.Select(r => Form(r)["action"]), Is.All.EqualTo("increment"));
            Assert.That(requests.Select(r => r.IdempotencyKey).Distinct(), Is.EquivalentTo(reports.Select(r => r.Identifier)), "each report under its identifier as the Idempotency-Key");
            Assert.That(Stripe.RequestCount, Is.EqualTo(requests.Count), "no meter events");
        });
    }
}
