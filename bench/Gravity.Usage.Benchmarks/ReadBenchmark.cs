using System.Diagnostics;
using System.Globalization;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Benchmarks;

/// <summary>What one round measured for each way of reading, or why a read returned the wrong total.</summary>
internal sealed record ReadRound(LatencySummary RawSum, LatencySummary RawPerMeter, LatencySummary Library, string? Failure);

/// <summary>
/// Times single reads of one account-month on the big file, one at a time: <see cref="UsageMeter.GetAsync"/>, and by
/// hand on a fresh pooled connection the account's plain SUM (the least any read must do) and the answer GetAsync
/// gives, a SUM per meter.
/// </summary>
/// <remarks>
/// The three reads take turns on the same account-month, sample by sample and in a rotating order, so that a burst of
/// load on this shared machine lands on all three alike instead of on whichever ran in that second.
/// </remarks>
internal sealed class ReadBenchmark(ReadFixture fixture, int samples)
{
    private const int Seed = 7_000_003;

    /// <summary>Untimed reads before each round: they warm the pool, the JIT and the page cache the same way for all cases.</summary>
    private const int WarmupReads = 200;

    private const string RawSumSql =
        "SELECT COALESCE(SUM(quantity), 0) FROM usage_counter WHERE account = $account AND bucket_start >= $from AND bucket_start < $to";

    private const string RawPerMeterSql =
        "SELECT meter, SUM(quantity) FROM usage_counter WHERE account = $account AND bucket_start >= $from AND bucket_start < $to GROUP BY meter ORDER BY meter";

    public async Task<ReadRound> RunRoundAsync(int round)
    {
        var connectionString = "Data Source=" + fixture.Path;
        await using var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = connectionString });
        await using var meter = new UsageMeter(store, Options.Create(new UsageBillingOptions()));
        await store.EnsureSchemaAsync();
        var reads = new Func<string, DateTimeOffset, DateTimeOffset, Task<long>>[]
        {
            (account, from, to) => Task.FromResult(ReadRaw(connectionString, RawSumSql, account, from, to)),
            (account, from, to) => Task.FromResult(ReadRaw(connectionString, RawPerMeterSql, account, from, to)),
            async (account, from, to) => (await meter.GetAsync(account, from, to)).GetMeter(UsageBillingOptions.DefaultMeterName).Quantity,
        };
        var recorders = reads.Select(_ => new LatencyRecorder()).ToArray();

        try
        {
            var months = fixture.FullMonths;
            var random = new Random(Seed + round);
            for (var i = 0; i < WarmupReads + samples; i++)
            {
                var account = random.Next(fixture.Accounts);
                var from = months[random.Next(months.Count)];
                var to = from.AddMonths(1);
                var name = ReadFixture.AccountName(account);
                var expected = fixture.ExpectedSum(account, from, to);
                for (var turn = 0; turn < reads.Length; turn++)
                {
                    var which = (i + turn) % reads.Length;
                    var started = Stopwatch.GetTimestamp();
                    var total = await reads[which](name, from, to);
                    var elapsed = Stopwatch.GetTimestamp() - started;
                    if (total != expected)
                    {
                        return new ReadRound(default, default, default, string.Create(CultureInfo.InvariantCulture, $"read {which}, {name} {from:yyyy-MM}: {total:N0}, expected {expected:N0}."));
                    }

                    if (i >= WarmupReads)
                    {
                        recorders[which].Record(elapsed);
                    }
                }
            }

            return new ReadRound(Summarize(0), Summarize(1), Summarize(2), null);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }

        LatencySummary Summarize(int which) => LatencyRecorder.Summarize([recorders[which]]);
    }

    private static long ReadRaw(string connectionString, string sql, string account, DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$account", account);
        command.Parameters.AddWithValue("$from", from.ToUnixTimeSeconds());
        command.Parameters.AddWithValue("$to", to.ToUnixTimeSeconds());

        // One meter in the file: the last column of the first row is the account's total either way.
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetInt64(reader.FieldCount - 1) : 0L;
    }
}
