using System.Diagnostics;
using System.Globalization;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Benchmarks;

/// <summary>The three ways of writing increments that the benchmark compares.</summary>
internal enum WriteMode
{
    /// <summary>(a) one transaction per increment.</summary>
    Naive,

    /// <summary>(b) <see cref="UsageMeter.IncrementAsync"/> over a <see cref="SqliteUsageStore"/>.</summary>
    GroupCommit,

    /// <summary>(c) as (b), with a unique idempotency key on every increment.</summary>
    GroupCommitWithKeys,
}

/// <summary>What one round of one case measured.</summary>
/// <param name="PerSecond">Increments acknowledged inside the window, per second.</param>
/// <param name="Latency">Latency of those increments.</param>
/// <param name="AverageBatch">Increments per commit inside the window; 1 for the naive baseline.</param>
/// <param name="AverageCommitMicros">Time the store spent per commit (SQL + fsync); NaN for the naive baseline.</param>
/// <param name="Acknowledged">Every increment acknowledged in the round, warm-up included.</param>
/// <param name="Failure">Why the file does not hold what was acknowledged, or <see langword="null"/> when it does.</param>
/// <param name="BytesPerIncrement">Bytes the process allocated per increment inside the window; NaN for the naive baseline.</param>
internal sealed record IncrementRound(double PerSecond, LatencySummary Latency, double AverageBatch, double AverageCommitMicros, long Acknowledged, string? Failure, double BytesPerIncrement = double.NaN);

/// <summary>
/// Runs one round of one (mode, callers) case on a fresh temp file: callers loop on increments until the window
/// closes, then the file is checked against what was acknowledged.
/// </summary>
internal static class IncrementBenchmark
{
    private const int Seed = 20_240_601;

    /// <summary>acct_0000 … acct_0999, made once so that callers allocate no account strings.</summary>
    private static readonly string[] Accounts =
        [.. Enumerable.Range(0, 1_000).Select(i => "acct_" + i.ToString("D4", CultureInfo.InvariantCulture))];

    public static async Task<IncrementRound> RunRoundAsync(WriteMode mode, int callers, BenchOptions options)
    {
        using var database = TempDatabase.Create();
        IncrementRound round;
        await using (var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = database.ConnectionString }))
        {
            // Every mode gets its schema (and WAL) from the library, so all three write the same kind of file.
            await store.EnsureSchemaAsync();
            round = mode == WriteMode.Naive
                ? await RunNaiveAsync(database, callers, options)
                : await RunGroupCommitAsync(store, withKeys: mode == WriteMode.GroupCommitWithKeys, callers, options);
        }

        using var connection = new SqliteConnection(database.ConnectionString + ";Pooling=False");
        connection.Open();
        return round with { Failure = await VerifyAsync(sql => Task.FromResult(Scalar(connection, sql.Replace("{schema}.", string.Empty, StringComparison.Ordinal))), mode, round.Acknowledged) };
    }

    /// <summary>One round of one case on PostgreSQL, in a fresh schema that is dropped afterwards.</summary>
    public static async Task<IncrementRound> RunPostgreSqlRoundAsync(WriteMode mode, int callers, BenchOptions options, string connectionString)
    {
        await using var ledger = await PostgreSqlLedger.CreateAsync(connectionString);
        IncrementRound round;
        await using (var store = ledger.CreateStore())
        {
            round = mode == WriteMode.Naive
                ? await RunPostgreSqlNaiveAsync(ledger, callers, options)
                : await RunGroupCommitAsync(store, withKeys: mode == WriteMode.GroupCommitWithKeys, callers, options);
        }

        return round with { Failure = await VerifyAsync(ledger.ScalarAsync, mode, round.Acknowledged) };
    }

    /// <summary>
    /// Case (b) in this process against a schema shared with other processes, over a window given as
    /// <see cref="Stopwatch"/> timestamps (the monotonic clock, the same in every process of the machine).
    /// </summary>
    public static async Task<(long InWindow, long Acknowledged)> RunPostgreSqlWorkerAsync(string connectionString, string schema, int callers, MeasurementWindow window)
    {
        await using var ledger = PostgreSqlLedger.Open(connectionString, schema);
        await using var store = ledger.CreateStore();
        await using var meter = new UsageMeter(store, Options.Create(new UsageBillingOptions()));
        var (latency, acknowledged) = await RunCallersAsync(callers, window, (caller, sequence, account) => meter.IncrementAsync(account), Task.Run);
        return (latency.Count, acknowledged);
    }

    /// <summary>Checks that the counters of a schema sum to what was acknowledged.</summary>
    public static async Task<string?> VerifyPostgreSqlAsync(PostgreSqlLedger ledger, long acknowledged) =>
        await VerifyAsync(ledger.ScalarAsync, WriteMode.GroupCommit, acknowledged);

    private static async Task<IncrementRound> RunPostgreSqlNaiveAsync(PostgreSqlLedger ledger, int callers, BenchOptions options)
    {
        var naive = new PostgreSqlNaiveBaseline(ledger, TimeProvider.System);
        var window = MeasurementWindow.StartingAfter(options.Warmup, options.Measured);
        var (latency, acknowledged) = await RunCallersAsync(callers, window, (caller, sequence, account) => naive.IncrementAsync(account), Task.Run);
        return new IncrementRound(latency.Count / window.Length.TotalSeconds, latency, 1, double.NaN, acknowledged, null);
    }

    private static async Task<IncrementRound> RunNaiveAsync(TempDatabase database, int callers, BenchOptions options)
    {
        var naive = new NaiveBaseline(database.ConnectionString, TimeProvider.System);
        var window = MeasurementWindow.StartingAfter(options.Warmup, options.Measured);

        // The naive increment completes synchronously, so each caller's loop stays on its own long-running thread.
        var (latency, acknowledged) = await RunCallersAsync(
            callers,
            window,
            (caller, sequence, account) => naive.IncrementAsync(account),
            loop => Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap());
        var perSecond = latency.Count / window.Length.TotalSeconds;
        return new IncrementRound(perSecond, latency, 1, double.NaN, acknowledged, null);
    }

    internal static async Task<IncrementRound> RunGroupCommitAsync(IUsageStore store, bool withKeys, int callers, BenchOptions options, string keyPrefix = "req")
    {
        var counting = new CountingUsageStore(store);

        // With --with-cycles every account has a billing cycle, looked up through the store's built-in mapping as DI
        // wires it (once per account, then from the meter's cache), so each increment also takes the cut at the period
        // boundary. Without it the meter's cache answers "no cycle" from memory: the steady state of a warm cache. (A
        // 1-second quick window is too short to warm 1,000 accounts, and the lookups would be measured as commits.)
        var accounts = (IUsageAccountStore)store;
        if (options.WithCycles)
        {
            var anchor = TimeProvider.System.GetUtcNow().AddDays(-10);
            var cycle = BillingCycle.Monthly(new DateTimeOffset(anchor.Year, anchor.Month, anchor.Day, anchor.Hour, 37, 12, TimeSpan.Zero));
            foreach (var account in Accounts)
            {
                await accounts.SaveAccountAsync(new UsageAccount(account) { BillingCycle = cycle });
            }
        }

        // Disposing the meter at the end commits whatever is still queued: nothing, as every caller awaited its last increment.
        await using var meter = new UsageMeter(counting, Options.Create(new UsageBillingOptions()), accounts: options.WithCycles ? new StoreAccountResolver(accounts) : NoCycles.Instance);
        var window = MeasurementWindow.StartingAfter(options.Warmup, options.Measured);
        counting.Window = window;
        var allocated = AllocationProbe.MeasureAsync(window);
        var (latency, acknowledged) = await RunCallersAsync(
            callers,
            window,
            withKeys
                ? (caller, sequence, account) => meter.IncrementAsync(account, idempotencyKey: IdempotencyKey(keyPrefix, caller, sequence))
                : (caller, sequence, account) => meter.IncrementAsync(account),
            Task.Run);

        var perSecond = latency.Count / window.Length.TotalSeconds;
        var batches = counting.Batches;
        var averageBatch = batches == 0 ? double.NaN : (double)counting.Increments / batches;
        var averageCommit = batches == 0 ? double.NaN : LatencyRecorder.ToMicros(counting.WriteTicks) / batches;
        var bytesPerIncrement = latency.Count == 0 ? double.NaN : (double)await allocated / latency.Count;
        return new IncrementRound(perSecond, latency, averageBatch, averageCommit, acknowledged, null, bytesPerIncrement);
    }

    /// <summary>Request-id-like keys, unique within a round (every round has a fresh file, or a prefix of its own).</summary>
    private static string IdempotencyKey(string prefix, int caller, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{caller}-{sequence}");

    /// <summary>
    /// Starts the callers together and waits for all of them. Each one increments a pseudo-random account, waits for
    /// the acknowledgement, and records the latency of those acknowledged inside the window; it stops at the first
    /// acknowledgement after the window.
    /// </summary>
    private static async Task<(LatencySummary Latency, long Acknowledged)> RunCallersAsync(
        int callers,
        MeasurementWindow window,
        Func<int, long, string, Task<IncrementOutcome>> increment,
        Func<Func<Task<long>>, Task<long>> start)
    {
        var recorders = new LatencyRecorder[callers];
        var loops = new Task<long>[callers];
        for (var i = 0; i < callers; i++)
        {
            var caller = i;
            var recorder = recorders[i] = new LatencyRecorder();
            loops[i] = start(() => CallerLoopAsync(caller, window, increment, recorder));
        }

        var acknowledged = await Task.WhenAll(loops);
        return (LatencyRecorder.Summarize(recorders), acknowledged.Sum());
    }

    private static async Task<long> CallerLoopAsync(int caller, MeasurementWindow window, Func<int, long, string, Task<IncrementOutcome>> increment, LatencyRecorder recorder)
    {
        var random = new Random(Seed + caller);
        long acknowledged = 0;
        while (true)
        {
            var account = Accounts[random.Next(Accounts.Length)];
            var started = Stopwatch.GetTimestamp();
            var outcome = await increment(caller, acknowledged, account);
            var finished = Stopwatch.GetTimestamp();
            if (outcome != IncrementOutcome.Recorded)
            {
                throw new InvalidOperationException($"Caller {caller}: increment {acknowledged} came back {outcome}, expected Recorded.");
            }

            acknowledged++;
            if (window.Contains(finished))
            {
                recorder.Record(finished - started);
            }
            else if (finished > window.End)
            {
                return acknowledged;
            }
        }
    }

    /// <summary>A benchmark that loses data is worthless: the ledger must hold exactly what was acknowledged.</summary>
    private static async Task<string?> VerifyAsync(Func<string, Task<long>> scalar, WriteMode mode, long acknowledged)
    {
        var counted = await scalar("SELECT COALESCE(SUM(quantity), 0) FROM {schema}.usage_counter");
        if (counted != acknowledged)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{mode}: the counters sum to {counted:N0} but {acknowledged:N0} increments were acknowledged.");
        }

        var keys = await scalar("SELECT COUNT(*) FROM {schema}.usage_idempotency_hash");
        var expectedKeys = mode == WriteMode.GroupCommitWithKeys ? acknowledged : 0;
        return keys == expectedKeys
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"{mode}: {keys:N0} idempotency keys are stored but {expectedKeys:N0} were expected.");
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
