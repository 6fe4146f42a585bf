using Microsoft.Extensions.Options;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// Several instances on one ledger: each store has its own connections, as a separate process would. Writers and
/// reporters run at once; totals stay exact and no report is delivered twice.
/// </summary>
internal sealed class InstanceCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<InstanceCases>("IncrementAndReportAsync_SeveralWritersAndReportersAtOnce_TotalsExactAndEachReportDeliveredOnce", c => c.WritersAndReportersAsync()),
    ];

    private async Task WritersAndReportersAsync()
    {
        const int accounts = 4;
        for (var a = 0; a < accounts; a++)
        {
            await Store.Accounts.SaveAccountAsync(new UsageAccount($"acct{a}") { StripeCustomerId = $"cus_{a}" }, Cancellation);
        }

        Clock.SetUtcNow(Start + (2 * Hour));
        var sink = new ContractSink();
        var billing = Options.Create(new UsageBillingOptions());
        var reporters = Enumerable.Range(0, 3).Select(_ =>
        {
            var store = OpenStore();
            return new UsageReporter(store.Reports, sink, new StoreAccountResolver(store.Accounts), billing, Options.Create(new UsageReportingOptions()), Clock);
        }).ToList();
        var writers = Enumerable.Range(0, 4).Select(_ => OpenStore()).ToList();

        using var stop = new CancellationTokenSource();
        var reporting = reporters.Select(r => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await r.ReportAsync(Cancellation);
            }
        })).ToList();
        var writing = writers.Select((w, i) => Task.Run(async () =>
        {
            for (var batch = 0; batch < 30; batch++)
            {
                await w.Ledger.WriteAsync(
                    Enumerable.Range(0, 10)
                        .Select(j => Increment($"acct{j % accounts}", j + 1, key: $"w{i}-b{batch}-{j}", bucketStart: Start + (j % 2 * Hour)))
                        .ToList(),
                    Cancellation);
            }
        })).ToList();

        await Task.WhenAll(writing);
        await stop.CancelAsync();
        await Task.WhenAll(reporting);
        await reporters[0].ReportAsync(Cancellation);

        var expectedPerAccount = Enumerable.Range(0, 10).GroupBy(j => j % accounts).ToDictionary(g => g.Key, g => 4L * 30 * g.Sum(j => j + 1));
        for (var a = 0; a < accounts; a++)
        {
            Check.Equal(expectedPerAccount[a], await TotalAsync($"acct{a}"), $"total of acct{a}");
            Check.Equal(expectedPerAccount[a], sink.Total($"cus_{a}", Usage), $"usage delivered for cus_{a}: every unit once");
        }

        Check.Empty(await ReportsAsync(UsageReportStatus.Pending), "reports still pending");
    }
}
