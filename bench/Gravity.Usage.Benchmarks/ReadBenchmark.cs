using System.Diagnostics;
using System.Globalization;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Benchmarks;

/// <summary>What one round of reads measured, or why a read returned the wrong total.</summary>
internal sealed record ReadRound(LatencySummary Latency, string? Failure);

/// <summary>
/// Times single reads of one account-month on the big file, one at a time: <see cref="UsageMeter.GetAsync"/>, and
/// the same SUM written by hand on a fresh pooled connection as a reference for what the library adds.
/// </summary>
internal sealed class ReadBenchmark(ReadFixture fixture, int samples)
{
    private const int Seed = 7_000_003;

    /// <summary>Untimed reads before each round: they warm the pool, the JIT and the page cache the same way for both cases.</summary>
    private const int WarmupReads = 200;

    public async Task<ReadRound> RunLibraryRoundAsync(int round)
    {
        await using var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = "Data Source=" + fixture.Path });
        await using var meter = new UsageMeter(store, Options.Create(new UsageBillingOptions()));
        await store.EnsureSchemaAsync();
        return await RunAsync(round, async (account, from, to) =>
        {
            var summary = await meter.GetAsync(account, from, to);
            return summary.GetMeter(UsageBillingOptions.DefaultMeterName).Quantity;
        });
    }

    public async Task<ReadRound> RunRawSqlRoundAsync(int round)
    {
        var connectionString = "Data Source=" + fixture.Path;
        try
        {
            return await RunAsync(round, (account, from, to) =>
            {
                using var connection = new SqliteConnection(connectionString);
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT COALESCE(SUM(quantity), 0) FROM usage_counter WHERE account = $account AND bucket_start >= $from AND bucket_start < $to";
                command.Parameters.AddWithValue("$account", account);
                command.Parameters.AddWithValue("$from", from.ToUnixTimeSeconds());
                command.Parameters.AddWithValue("$to", to.ToUnixTimeSeconds());
                return Task.FromResult(Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture));
            });
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>Reads random (account, month) pairs, checking every total against the generated data.</summary>
    private async Task<ReadRound> RunAsync(int round, Func<string, DateTimeOffset, DateTimeOffset, Task<long>> read)
    {
        var months = fixture.FullMonths;
        var random = new Random(Seed + round);
        var recorder = new LatencyRecorder();
        for (var i = 0; i < WarmupReads + samples; i++)
        {
            var account = random.Next(fixture.Accounts);
            var from = months[random.Next(months.Count)];
            var to = from.AddMonths(1);
            var name = ReadFixture.AccountName(account);
            var expected = fixture.ExpectedSum(account, from, to);

            var started = Stopwatch.GetTimestamp();
            var total = await read(name, from, to);
            var elapsed = Stopwatch.GetTimestamp() - started;
            if (total != expected)
            {
                return new ReadRound(default, string.Create(CultureInfo.InvariantCulture, $"{name} {from:yyyy-MM}: read {total:N0}, expected {expected:N0}."));
            }

            if (i >= WarmupReads)
            {
                recorder.Record(elapsed);
            }
        }

        return new ReadRound(LatencyRecorder.Summarize([recorder]), null);
    }
}
