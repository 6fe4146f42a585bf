using Gravity.Usage.IntegrationTests.Infrastructure;

namespace Gravity.Usage.IntegrationTests;

/// <summary>Many callers at once: group commit must neither lose nor double an increment.</summary>
public sealed class ConcurrencyTests : LedgerTest
{
    private const int Workers = 64;
    private const int IncrementsPerWorker = 10_000;
    private const int Accounts = 100;

    // Each worker keeps this many increments in flight, so batches are large and the run takes seconds.
    private const int InFlightPerWorker = 100;

    [Test]
    public async Task IncrementAsync_64WorkersTimes10000Increments_EveryAccountSumsExactly()
    {
        var meter = CreateMeter();
        var expected = new long[Accounts];
        for (var worker = 0; worker < Workers; worker++)
        {
            for (var i = 0; i < IncrementsPerWorker; i++)
            {
                expected[AccountIndex(worker, i)] += Quantity(worker, i);
            }
        }

        var outcomes = await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(() => RunWorkerAsync(meter, worker))));

        Assert.That(outcomes.Sum(o => o.Recorded), Is.EqualTo(Workers * IncrementsPerWorker), "every increment reports Recorded");
        var actual = new long[Accounts];
        for (var a = 0; a < Accounts; a++)
        {
            actual[a] = await TotalAsync(meter, AccountName(a), ApiCalls);
        }

        Assert.Multiple(() =>
        {
            Assert.That(actual, Is.EqualTo(expected), "per-account totals");
            Assert.That(actual.Sum(), Is.EqualTo(expected.Sum()), "total across accounts");
            Assert.That(Database.ExecuteScalar("SELECT SUM(quantity) FROM usage_counter"), Is.EqualTo(expected.Sum()), "raw counter rows");
        });
    }

    [Test]
    public async Task IncrementAsync_TwoStoresOnOneFileConcurrently_BothWritersAreCounted()
    {
        var first = CreateMeter(CreateStore());
        var second = CreateMeter(CreateStore());
        const int PerMeter = 2_000;

        await Task.WhenAll(
            Task.Run(() => IncrementManyAsync(first, "shared", PerMeter)),
            Task.Run(() => IncrementManyAsync(second, "shared", PerMeter)));

        Assert.That(await TotalAsync(first, "shared"), Is.EqualTo(2 * PerMeter));
    }

    private static async Task<(int Recorded, int Other)> RunWorkerAsync(UsageMeter meter, int worker)
    {
        var recorded = 0;
        var other = 0;
        var inFlight = new List<Task<IncrementOutcome>>(InFlightPerWorker);
        for (var i = 0; i < IncrementsPerWorker; i++)
        {
            inFlight.Add(meter.IncrementAsync(AccountName(AccountIndex(worker, i)), Quantity(worker, i), ApiCalls));
            if (inFlight.Count == InFlightPerWorker || i == IncrementsPerWorker - 1)
            {
                foreach (var outcome in await Task.WhenAll(inFlight))
                {
                    if (outcome == IncrementOutcome.Recorded)
                    {
                        recorded++;
                    }
                    else
                    {
                        other++;
                    }
                }

                inFlight.Clear();
            }
        }

        return (recorded, other);
    }

    private static async Task IncrementManyAsync(UsageMeter meter, string account, int count)
    {
        var tasks = new List<Task<IncrementOutcome>>(count);
        for (var i = 0; i < count; i++)
        {
            tasks.Add(meter.IncrementAsync(account));
        }

        await Task.WhenAll(tasks);
    }

    private static int AccountIndex(int worker, int i) => ((worker * 7) + i) % Accounts;

    private static long Quantity(int worker, int i) => 1 + ((worker + (i / 3)) % 3);

    private static string AccountName(int index) => $"acct_{index:D3}";
}
