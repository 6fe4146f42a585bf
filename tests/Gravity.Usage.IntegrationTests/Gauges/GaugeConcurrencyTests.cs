using Gravity.Usage.IntegrationTests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Gauges;

/// <summary>Several instances on one database write readings while their reporters run (DESIGN §6), on every provider.</summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class GaugeConcurrencyTests<TFixture> : GaugeTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task ReadingsAndReportsAtOnce_FromThreeInstances_StripeLastEqualsWhatEachPeriodBills()
    {
        const int accounts = 3;
        var instances = Enumerable.Range(0, 3).Select(_ => BuildProvider()).ToList();
        var customers = new List<string>();
        for (var a = 0; a < accounts; a++)
        {
            customers.Add(await MapAsync(instances[0], $"acct{a}"));
        }

        // Every reading lies in an ended bucket of one day, so reporters close buckets while readings still arrive.
        Clock.SetUtcNow(Day0.AddHours(23));
        using var stop = new CancellationTokenSource();
        var reporting = instances.Take(2).Select(p => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await p.GetRequiredService<IUsageReporter>().ReportAsync();
            }
        })).ToList();
        var writing = instances.Select((p, i) => Task.Run(async () =>
        {
            var meter = p.GetRequiredService<IUsageMeter>();
            for (var n = 0; n < 40; n++)
            {
                var at = Day0.AddMinutes(1 + (((n * 37) + (i * 11)) % 1200)).AddSeconds(i);
                var value = ((n * 7) + (i * 5)) % 50;
                await Task.WhenAll(Enumerable.Range(0, accounts).SelectMany(a => new[]
                {
                    meter.SetAsync($"acct{a}", value + a, Seats, timestamp: at),
                    meter.SetAsync($"acct{a}", value + a, Peak, timestamp: at),
                }));
            }
        })).ToList();

        await Task.WhenAll(writing).WaitAsync(HangGuard);
        await stop.CancelAsync();
        await Task.WhenAll(reporting).WaitAsync(HangGuard);
        await instances[2].GetRequiredService<IUsageReporter>().ReportAsync().WaitAsync(HangGuard);

        var month = MonthOf(Day0);
        var reports = await ReportsAsync(instances[0]);
        await Assert.MultipleAsync(async () =>
        {
            for (var a = 0; a < accounts; a++)
            {
                var seats = await BilledAsync(instances[1], $"acct{a}", Seats, month.Start, month.End);
                var peak = await BilledAsync(instances[1], $"acct{a}", Peak, month.Start, month.End);
                Assert.That(StripeLast(SeatsEvent, customers[a], month.Start, month.End), Is.EqualTo(seats.Quantity), $"acct{a} seats");
                Assert.That(StripeLast(PeakEvent, customers[a], month.Start, month.End), Is.EqualTo(peak.Quantity).And.EqualTo(49 + a), $"acct{a} peak");
                Assert.That(seats.SentQuantity, Is.EqualTo(seats.Quantity), $"acct{a} seats billed");
            }

            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(reports.Select(r => r.Identifier), Is.Unique);
        });
    }
}
