using Gravity.Usage.IntegrationTests.Reporting;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Several instances on one database (DESIGN §6): each store has its own connections, as a separate process would.
/// Writers and reporters run at once; totals stay exact and no report is delivered twice.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task IncrementAndReportAsync_SeveralWritersAndReportersAtOnce_TotalsExactAndEachReportDeliveredOnce()
    {
        const int accounts = 4;
        for (var a = 0; a < accounts; a++)
        {
            await Store.Accounts.SaveAccountAsync(new UsageAccount($"acct{a}") { StripeCustomerId = $"cus_{a}" });
        }

        Clock.SetUtcNow(Start + (2 * Hour));
        var sink = new RecordingSink();
        var billing = Options.Create(new UsageBillingOptions());
        var reporters = Enumerable.Range(0, 3).Select(_ =>
        {
            var store = Fixture.CreateStore(Clock);
            return new UsageReporter(store.Reports, sink, new StoreAccountResolver(store.Accounts), billing, Options.Create(new UsageReportingOptions()), Clock);
        }).ToList();
        var writers = Enumerable.Range(0, 4).Select(_ => Fixture.CreateStore(Clock)).ToList();

        using var stop = new CancellationTokenSource();
        var reporting = reporters.Select(r => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await r.ReportAsync();
            }
        })).ToList();
        var writing = writers.Select((w, i) => Task.Run(async () =>
        {
            for (var batch = 0; batch < 30; batch++)
            {
                await w.Ledger.WriteAsync(Enumerable.Range(0, 10)
                    .Select(j => Increment($"acct{j % accounts}", j + 1, key: $"w{i}-b{batch}-{j}", bucketStart: Start + (j % 2 * Hour)))
                    .ToList());
            }
        })).ToList();

        await Task.WhenAll(writing);
        await stop.CancelAsync();
        await Task.WhenAll(reporting);
        await reporters[0].ReportAsync();

        var expectedPerAccount = Enumerable.Range(0, 10).GroupBy(j => j % accounts).ToDictionary(g => g.Key, g => 4L * 30 * g.Sum(j => j + 1));
        var sent = sink.Accepted;
        Assert.Multiple(async () =>
        {
            for (var a = 0; a < accounts; a++)
            {
                Assert.That(await TotalAsync($"acct{a}"), Is.EqualTo(expectedPerAccount[a]));
                Assert.That(sink.Total($"cus_{a}", Usage), Is.EqualTo(expectedPerAccount[a]), "every unit delivered once");
            }

            Assert.That(sent.Select(c => c.Identifier), Is.Unique);
            Assert.That(await ReportsAsync(UsageReportStatus.Pending), Is.Empty);
        });
    }
}
