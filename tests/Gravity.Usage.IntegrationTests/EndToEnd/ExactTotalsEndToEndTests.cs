using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>After a run, Stripe holds exactly the local usage of billable accounts, and nothing of free accounts (DESIGN §5).</summary>
public sealed class ExactTotalsEndToEndTests : EndToEndTest
{
    /// <summary>api_calls in 5 ended hours, tokens in 3 of them and in the hour in progress.</summary>
    private const int ReportsPerAccount = 5 + 3 + 1;

    [Test]
    public async Task ReportAsync_BillableAndFreeAccounts_StripeTotalsEqualLocalTotalsOfBillableAccountsOnly()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        Stripe.AddMeter(TokensEvent);
        var provider = BuildProvider();
        var billable = Enumerable.Range(1, 6).ToDictionary(i => $"acct_{i:D2}", i => Stripe.AddCustomer($"cus_paid_{i:D2}"), StringComparer.Ordinal);
        var free = Enumerable.Range(1, 2).ToDictionary(i => $"free_{i:D2}", i => Stripe.AddCustomer($"cus_free_{i:D2}"), StringComparer.Ordinal);
        foreach (var (account, customer) in billable)
        {
            await MapAsync(provider, account, customer);
        }

        foreach (var (account, customer) in free)
        {
            // Mapped to a real Stripe customer, so only the billable flag keeps their usage from Stripe.
            await MapAsync(provider, account, customer, billable: false);
        }

        // Several buckets, both meters, and some usage in the bucket still in progress.
        var accounts = billable.Keys.Concat(free.Keys).ToList();
        var writes = new List<Task>();
        for (var a = 0; a < accounts.Count; a++)
        {
            for (var hour = 1; hour <= 5; hour++)
            {
                writes.Add(RecordAsync(provider, accounts[a], ApiCalls, 1 + ((a * 7) + hour) % 11, HoursBeforeStart(hour)));
                writes.Add(RecordAsync(provider, accounts[a], ApiCalls, 3, HoursBeforeStart(hour).AddMinutes(59)));
                if (hour % 2 == 1)
                {
                    writes.Add(RecordAsync(provider, accounts[a], Tokens, 100 + (a * 13) + hour, HoursBeforeStart(hour).AddMinutes(17)));
                }
            }

            writes.Add(RecordAsync(provider, accounts[a], Tokens, 5, Start));
        }

        await Task.WhenAll(writes);
        Clock.Advance(TimeSpan.FromHours(1)); // the bucket in progress ends

        var runs = await RunUntilSettledAsync(provider);

        var reports = await ReportsAsync(provider);
        foreach (var (account, customer) in billable)
        {
            await Assert.MultipleAsync(async () =>
            {
                Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, account, ApiCalls)), $"{account} api_calls");
                Assert.That(Stripe.GetMeterTotal(TokensEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, account, Tokens)), $"{account} tokens");
            });
        }

        var freeReports = reports.Where(r => free.ContainsKey(r.Account)).ToList();
        var customersSent = MeterEventRequests().Select(r => Form(r)["payload[stripe_customer_id]"]).ToHashSet(StringComparer.Ordinal);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(runs, Has.Count.EqualTo(1), "nothing failed, so one run delivers everything");
            Assert.That(runs[0].Sent, Is.EqualTo(billable.Count * ReportsPerAccount));
            Assert.That(runs[0].Skipped, Is.EqualTo(free.Count * ReportsPerAccount));
            Assert.That(reports.Where(r => billable.ContainsKey(r.Account)).Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(freeReports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Skipped));
            Assert.That(freeReports.Select(r => r.LastError), Is.All.Not.Null.And.Not.Empty, "a skipped report says why");
            foreach (var (account, customer) in free)
            {
                Assert.That(await LocalTotalAsync(provider, account, ApiCalls), Is.GreaterThan(0), "free usage is still tracked");
                Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.Zero);
                Assert.That(Stripe.GetMeterTotal(TokensEvent, customer), Is.Zero);
                Assert.That(customersSent, Does.Not.Contain(customer), "no request at all for a free account");
            }

            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(reports.Where(r => r.Status == UsageReportStatus.Sent).Select(r => r.Identifier)));
            Assert.That(MeterEventRequests(), Has.Count.EqualTo(billable.Count * ReportsPerAccount), "one request per report");
        });

        // A second run finds nothing more to do and sends nothing again.
        var again = await provider.GetRequiredService<IUsageReporter>().ReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(again.Closed + again.Sent, Is.Zero);
            Assert.That(MeterEventRequests(), Has.Count.EqualTo(billable.Count * ReportsPerAccount));
        });
    }

    [Test]
    public async Task ReportAsync_FreeAccountBecomesBillable_OnlyUsageFromThenOnIsBilled()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var customer = Stripe.AddCustomer();
        var provider = BuildProvider();
        var reporter = provider.GetRequiredService<IUsageReporter>();
        await MapAsync(provider, "acct", customer, billable: false);

        // Free usage: in ended buckets (reported, skipped), and in the bucket in progress (not reported yet at the flip).
        await RecordAsync(provider, "acct", ApiCalls, 40, HoursBeforeStart(3));
        await RecordAsync(provider, "acct", ApiCalls, 2, HoursBeforeStart(1));
        var freeRun = await reporter.ReportAsync();
        await RecordAsync(provider, "acct", ApiCalls, 9, HoursBeforeStart(1).AddMinutes(5)); // late, into a reported free bucket
        await RecordAsync(provider, "acct", ApiCalls, 11, Start.AddMinutes(-20));
        await RecordAsync(provider, "acct", ApiCalls, 13);

        Clock.Advance(TimeSpan.FromMinutes(10));
        await MapAsync(provider, "acct", customer, billable: true);

        // Paid usage: the rest of the bucket in progress, and the next hours.
        await RecordAsync(provider, "acct", ApiCalls, 100);
        Clock.Advance(TimeSpan.FromMinutes(30));
        await RecordAsync(provider, "acct", ApiCalls, 200);
        Clock.Advance(TimeSpan.FromHours(1));
        await RecordAsync(provider, "acct", ApiCalls, 300);
        Clock.Advance(TimeSpan.FromHours(1));

        await RunUntilSettledAsync(provider);

        var reports = await ReportsAsync(provider);
        var sent = reports.Where(r => r.Status == UsageReportStatus.Sent).ToList();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(freeRun.Skipped, Is.EqualTo(2));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(600), "only the usage after the account became billable");
            Assert.That(sent.Sum(r => r.Quantity), Is.EqualTo(600));
            Assert.That(reports.Where(r => r.Status == UsageReportStatus.Skipped).Sum(r => r.Quantity), Is.EqualTo(40 + 2 + 9 + 11 + 13), "free usage is skipped, then and later");
            Assert.That(reports.Select(r => r.Status), Is.All.AnyOf(UsageReportStatus.Sent, UsageReportStatus.Skipped));
            Assert.That(await LocalTotalAsync(provider, "acct", ApiCalls), Is.EqualTo(40 + 2 + 9 + 11 + 13 + 600), "all usage is still tracked locally");
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(sent.Select(r => r.Identifier)));
        });
    }
}
