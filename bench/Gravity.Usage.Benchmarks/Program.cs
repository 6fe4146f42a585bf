using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gravity.Usage.Stripe;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// Prints durable increments/s and latency for (a) one transaction per increment, (b) group commit and (c) group
/// commit with idempotency keys, then GetAsync latency on a big file, with the targets of the issue. Progress goes to
/// stderr, results to stdout. Exits 1 when a file does not hold what was acknowledged; missed targets are only reported.
/// </summary>
internal static class Program
{
    private const double TargetGroupCommitPerSecond = 200_000;
    private const double TargetGroupCommitRatio = 50;
    private const double TargetKeyedPerSecond = 50_000;
    private const double TargetGetP99Micros = 2_000;
    private const int TargetCallers = 64;
    private const double TargetPostgreSqlGroupCommitPerSecond = 100_000;
    private const double TargetPostgreSqlGroupCommitRatio = 10;

    private static readonly (WriteMode Mode, string Label, IReadOnlyList<int> Callers)[] Cases =
    [
        (WriteMode.Naive, "(a) naive: 1 transaction per increment", BenchOptions.NaiveCallers),
        (WriteMode.GroupCommit, "(b) group commit", BenchOptions.GroupCommitCallers),
        (WriteMode.GroupCommitWithKeys, "(c) group commit + idempotency key", BenchOptions.GroupCommitCallers),
    ];

    private static readonly (WriteMode Mode, string Label, IReadOnlyList<int> Callers)[] PostgreSqlCases =
    [
        (WriteMode.Naive, "(a) naive: 1 transaction per increment", BenchOptions.NaiveCallers),
        (WriteMode.GroupCommit, "(b) group commit", BenchOptions.PostgreSqlGroupCommitCallers),
        (WriteMode.GroupCommitWithKeys, "(c) group commit + idempotency key", BenchOptions.PostgreSqlGroupCommitCallers),
    ];

    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == PostgreSqlTwoProcesses.WorkerFlag)
        {
            return await PostgreSqlTwoProcesses.RunWorkerAsync(args);
        }

        if (!BenchOptions.TryParse(args, out var options, out var error))
        {
            if (!string.IsNullOrEmpty(error))
            {
                await Console.Error.WriteLineAsync(error);
            }

            await Console.Error.WriteLineAsync(BenchOptions.Usage);
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }

        var clock = Stopwatch.StartNew();
        var progress = Console.Error;
        Console.WriteLine("## Gravity.Usage benchmarks");
        Console.WriteLine();
        Console.WriteLine(Conditions.Describe(options));

        var failures = new List<string>();
        if (options.KeysOnly)
        {
            await KeyTableBenchmark.RunAsync(options, progress, clock, failures);
        }
        else if (options.ReportingOnly)
        {
            var (deliveries, calls) = await RunReportingAsync(options, progress, clock, failures);
            Console.WriteLine();
            Console.Write(ReportingTable(deliveries, calls));
            Console.WriteLine();
            foreach (var line in ReportingTargets(deliveries, calls))
            {
                Console.WriteLine(line);
            }
        }
        else if (options.ReadsOnly)
        {
            var (fixture, reads) = await RunReadsAsync(options, progress, clock, failures);
            Console.WriteLine();
            Console.Write(ReadTable(fixture, reads));
            Console.WriteLine();
            foreach (var line in ReadTargets(reads))
            {
                Console.WriteLine(line);
            }
        }
        else if (!options.PostgresOnly)
        {
            await RunSqliteAsync(options, progress, clock, failures);
        }

        if (options.Postgres is { } postgres && !options.KeysOnly)
        {
            await RunPostgreSqlAsync(options, postgres, progress, clock, failures);
        }

        if (options.KeysPrefill > 0 && !options.KeysOnly && !options.ReportingOnly && !options.ReadsOnly)
        {
            await KeyTableBenchmark.RunAsync(options, progress, clock, failures);
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total run time: {clock.Elapsed.TotalSeconds:0} s."));
        if (failures.Count == 0)
        {
            Console.WriteLine("Correctness: every file held exactly the increments acknowledged; every read returned the generated total.");
            return 0;
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"!!! CORRECTNESS FAILURE ({failures.Count}): these results are worthless !!!"));
        foreach (var failure in failures)
        {
            Console.WriteLine("!!! " + failure);
        }

        return 1;
    }

    private static async Task RunSqliteAsync(BenchOptions options, TextWriter progress, Stopwatch clock, List<string> failures)
    {
        var increments = await RunIncrementsAsync(options, Cases, (mode, callers) => IncrementBenchmark.RunRoundAsync(mode, callers, options), "SQLite", progress, clock, failures);
        var (fixture, reads) = await RunReadsAsync(options, progress, clock, failures);
        var (deliveries, calls) = await RunReportingAsync(options, progress, clock, failures);

        Console.WriteLine();
        Console.WriteLine("### Durable increments");
        Console.WriteLine();
        var singleCommits = increments.Single(r => r.Mode == WriteMode.Naive && r.Callers == 1).PerSecond;
        Console.Write(IncrementTable(increments, r => r.Callers * singleCommits));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- ceiling = callers x {singleCommits:N0}/s, the single-row durable commits of (a) at 1 caller in this run: with one increment outstanding per caller and every commit costing at least that, a durable design cannot do more. B/incr = bytes the process allocated per increment in the window."));
        Console.WriteLine("- Latency runs from the call to its acknowledgement (the increment is committed). avg batch = increments per commit; commit µs = time the store spends per commit (SQL + fsync); spread = (max - min) / median of the rounds' increments/s.");
        Console.WriteLine("- The writer commits back to back, so increments/s ≈ avg batch x 1,000,000 / commit µs: with one increment in flight per caller, a row is bound by how many callers share each fsync.");
        Console.WriteLine("- (c) starts every round with an empty key table; the key table section below measures it again beside a table already holding --keys-prefill keys.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- * (a) was run up to {BenchOptions.NaiveCallers[^1]} callers; rows beyond it are compared with (a) at {BenchOptions.NaiveCallers[^1]}."));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"### Reads: one account-month ({fixture.Rows:N0}-row file, {fixture.Accounts:N0} accounts x {fixture.BucketsPerAccount:N0} hourly buckets, {options.ReadSamples:N0} random reads per round, one at a time)"));
        Console.WriteLine();
        Console.Write(ReadTable(fixture, reads));
        Console.WriteLine();
        Console.WriteLine("### Reporting to Stripe (the stand-in over loopback HTTP)");
        Console.WriteLine();
        Console.Write(ReportingTable(deliveries, calls));
        Console.WriteLine();
        Console.WriteLine("### Targets (informational)");
        Console.WriteLine();
        foreach (var line in Targets(options, fixture, increments, reads).Concat(ReadTargets(reads)).Concat(CeilingTargets(increments, singleCommits)).Concat(ReportingTargets(deliveries, calls)))
        {
            Console.WriteLine(line);
        }

    }

    private static async Task RunPostgreSqlAsync(BenchOptions options, string connectionString, TextWriter progress, Stopwatch clock, List<string> failures)
    {
        var server = await PostgreSqlLedger.DescribeServerAsync(connectionString);
        var increments = await RunIncrementsAsync(
            options,
            PostgreSqlCases,
            (mode, callers) => IncrementBenchmark.RunPostgreSqlRoundAsync(mode, callers, options, connectionString),
            "PostgreSQL",
            progress,
            clock,
            failures);
        var twoProcesses = new List<double>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            var (perSecond, failure) = await PostgreSqlTwoProcesses.RunAsync(connectionString, TargetCallers, options);
            twoProcesses.Add(perSecond);
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,5:0}s] PostgreSQL (b) in two processes x {TargetCallers} callers, round {round}/{options.Rounds}: {perSecond:N0}/s"));
            if (failure is not null)
            {
                failures.Add("PostgreSQL, two processes: " + failure);
                await progress.WriteLineAsync("!!! CORRECTNESS FAILURE: " + failures[^1]);
            }
        }

        var naive = increments.Single(r => r.Mode == WriteMode.Naive && r.Callers == TargetCallers);
        var group = increments.Single(r => r.Mode == WriteMode.GroupCommit && r.Callers == TargetCallers);
        var keyed = increments.Single(r => r.Mode == WriteMode.GroupCommitWithKeys && r.Callers == TargetCallers);
        var combined = Median(twoProcesses);
        var pgbench = await PgBenchCeiling.MeasureAsync(connectionString, [(TargetCallers, 1), (1, TargetCallers), (8, TargetCallers)], options.Measured, progress);
        var singleRowCeiling = pgbench.FirstOrDefault(f => f.RowsPerTransaction == 1)?.RowsPerSecond ?? double.NaN;
        var batchCeiling = pgbench.FirstOrDefault(f => f.Clients == 8)?.RowsPerSecond ?? double.NaN;
        Console.WriteLine();
        Console.WriteLine("### Durable increments on PostgreSQL");
        Console.WriteLine();
        Console.Write(IncrementTable(increments, r => r.Mode == WriteMode.Naive ? singleRowCeiling : batchCeiling));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| (b) group commit, two processes at once | 2 x {TargetCallers} | {combined:N0} | {(twoProcesses.Count < 2 ? "-" : Spread(twoProcesses).ToString("0%", CultureInfo.InvariantCulture))} | - | - | - | - | - | {ResultTable.Ratio(combined / naive.PerSecond)} | {(double.IsNaN(batchCeiling) ? "-" : ResultTable.Count(batchCeiling))} | {(double.IsNaN(batchCeiling) ? "-" : (combined / batchCeiling).ToString("0%", CultureInfo.InvariantCulture))} |"));
        Console.WriteLine();
        Console.WriteLine($"- server: PostgreSQL {server}; same machine, loopback TCP. eng/postgres.sh runs it with initdb defaults (only the listen address, port and max_connections=200 are set): fsync on, synchronous_commit on, so every commit waits for its WAL flush.");
        Console.WriteLine("- fresh schema per round (the library's own script, PostgreSqlUsageStore.EnsureSchemaAsync), dropped afterwards. (a) opens a pooled Npgsql connection, BEGIN, upserts one counter row, COMMIT; (b) and (c) are UsageMeter over PostgreSqlUsageStore (one transaction per batch).");
        Console.WriteLine("- two processes: the benchmark starts itself twice (hidden --pg-worker mode), each running (b) with 64 callers on the same schema over one shared measurement window; the figure is their combined increments/s, compared with (a) at 64 callers.");
        Console.WriteLine();
        Console.WriteLine("### PostgreSQL targets (informational)");
        Console.WriteLine();
        var ratio = group.PerSecond / naive.PerSecond;
        foreach (var figure in pgbench)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- pgbench on the same server: {figure.Clients} clients x {figure.RowsPerTransaction}-row upsert transactions (rows locked in key order): {figure.TransactionsPerSecond:N0} tps = {figure.RowsPerSecond:N0} rows/s"));
        }

        Console.WriteLine("- ceiling: (a) rows against pgbench's one-row upserts at 64 clients; (b) and (c) against its 64-row upsert transactions on 8 connections.");
        Console.WriteLine();
        Console.WriteLine((group.PerSecond >= TargetPostgreSqlGroupCommitPerSecond ? "- PASS " : "- MISS ") + string.Create(CultureInfo.InvariantCulture, $"(b) at {TargetCallers} callers >= 100,000/s: {group.PerSecond:N0}/s"));
        Console.WriteLine((keyed.PerSecond >= 60_000 ? "- PASS " : "- MISS ") + string.Create(CultureInfo.InvariantCulture, $"(c) at {TargetCallers} callers >= 60,000/s: {keyed.PerSecond:N0}/s"));
        Console.WriteLine((combined >= 1.5 * group.PerSecond ? "- PASS " : "- MISS ") + string.Create(CultureInfo.InvariantCulture, $"two processes together >= 1.5x one: {combined / group.PerSecond:0.00}x"));
        Console.WriteLine((ratio >= TargetPostgreSqlGroupCommitRatio ? "- PASS " : "- MISS ") + string.Create(CultureInfo.InvariantCulture, $"(b) at {TargetCallers} callers >= 10x (a): {ratio:N1}x"));
    }

    private static async Task<List<CaseResult>> RunIncrementsAsync(
        BenchOptions options,
        IEnumerable<(WriteMode Mode, string Label, IReadOnlyList<int> Callers)> cases,
        Func<WriteMode, int, Task<IncrementRound>> runRound,
        string ledger,
        TextWriter progress,
        Stopwatch clock,
        List<string> failures)
    {
        var rounds = cases.SelectMany(c => c.Callers.Select(callers => (c.Mode, c.Label, Callers: callers, Rounds: new List<IncrementRound>()))).ToList();

        // Rounds are interleaved across cases, so a noisy minute on the shared machine hits one round of many cases
        // rather than every round of one case; the median then discards it.
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var (mode, label, callers, results) in rounds)
            {
                // Garbage from the previous round should not be collected in this one.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var result = await runRound(mode, callers);
                results.Add(result);
                await progress.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"[{clock.Elapsed.TotalSeconds,5:0}s] {ledger} {label}, {callers} callers, round {round}/{options.Rounds}: {result.PerSecond:N0}/s, p50 {result.Latency.P50Micros:N0} µs, p99 {result.Latency.P99Micros:N0} µs, batch {result.AverageBatch:0.0}"));
                if (result.Failure is { } failure)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture, $"{ledger} {label}, {callers} callers, round {round}: {failure}"));
                    await progress.WriteLineAsync("!!! CORRECTNESS FAILURE: " + failures[^1]);
                }
            }
        }

        return rounds.Select(r => new CaseResult(
            r.Mode,
            r.Label,
            r.Callers,
            Median(r.Rounds.Select(x => x.PerSecond)),
            Spread(r.Rounds.Select(x => x.PerSecond)),
            Median(r.Rounds.Select(x => x.Latency.P50Micros)),
            Median(r.Rounds.Select(x => x.Latency.P99Micros)),
            Median(r.Rounds.Select(x => x.AverageBatch)),
            Median(r.Rounds.Select(x => x.AverageCommitMicros)),
            Median(r.Rounds.Select(x => x.BytesPerIncrement)))).ToList();
    }

    private static async Task<(ReportingBenchmark.DeliveryResult[] Deliveries, ReportingBenchmark.CallsResult Calls)> RunReportingAsync(BenchOptions options, TextWriter progress, Stopwatch clock, List<string> failures)
    {
        // v1 at Stripe's live limit for meter events (1,000 requests/s), the v2 stream at its 10,000 events/s; 20 ms per answer.
        var latency = TimeSpan.FromMilliseconds(20);
        var v1 = await ReportingBenchmark.RunDeliveryAsync(StripeUsageApi.MeterEvents, options.Quick ? 2_000 : 10_000, limit: 1_000, latency);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,5:0}s] reporting v1: {v1.Reports:N0} reports in {v1.Seconds:0.0} s, {v1.PerSecond:N0}/s"));
        var v2 = await ReportingBenchmark.RunDeliveryAsync(StripeUsageApi.MeterEventStream, options.Quick ? 20_000 : 60_000, limit: 10_000, latency);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,5:0}s] reporting v2 stream: {v2.Reports:N0} reports in {v2.Seconds:0.0} s, {v2.PerSecond:N0}/s"));
        var increments = options.Quick ? 100_000 : 1_000_000;
        var calls = await ReportingBenchmark.RunCallsPerIncrementsAsync(increments, accounts: 1_000, callers: 64);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,5:0}s] reporting: {calls.Increments:N0} increments, {calls.StripeCalls:N0} Stripe calls"));
        foreach (var failure in new[] { v1.Failure, v2.Failure, calls.Failure }.OfType<string>())
        {
            failures.Add("reporting: " + failure);
        }

        return (new[] { v1, v2 }, calls);
    }

    private static string ReportingTable(ReportingBenchmark.DeliveryResult[] deliveries, ReportingBenchmark.CallsResult calls)
    {
        var table = new StringBuilder();
        table.AppendLine("| API | reports | 20 ms per answer, client limit | delivered/s | of the limit | vs v1 | requests | busiest second (requests) | 429s |");
        table.AppendLine("| :-- | ------: | :----------------------------- | ----------: | -----------: | ----: | -------: | ------------------------: | ---: |");
        foreach (var d in deliveries)
        {
            var unit = d.Api == StripeUsageApi.MeterEventStream ? "events/s" : "requests/s";
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {Describe(d.Api)} | {d.Reports:N0} | {d.Limit:N0} {unit} | {d.PerSecond:N0} | {d.PerSecond / d.Limit:P0} | {d.PerSecond / deliveries[0].PerSecond:0.0}x | {d.Requests:N0} | {d.PeakPerSecond:N0} | {d.TooManyRequests:N0} |"));
        }

        table.AppendLine();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Stripe calls for {calls.Increments:N0} increments over {calls.Accounts:N0} accounts in one bucket: {calls.StripeCalls:N0} ({calls.Increments / Math.Max(calls.StripeCalls, 1):N0} increments per call; increments took {calls.IncrementSeconds:0.0} s)."));
        return table.ToString();

        static string Describe(StripeUsageApi api) => api == StripeUsageApi.MeterEventStream ? "v2 meter event stream (100 per request)" : "v1 meter events";
    }

    private static IEnumerable<string> ReportingTargets(ReportingBenchmark.DeliveryResult[] deliveries, ReportingBenchmark.CallsResult calls)
    {
        var (v1, v2) = (deliveries[0], deliveries[1]);
        var v1Ratio = v1.PerSecond / v1.Limit;
        var v2Ratio = v2.PerSecond / v2.Limit;
        var speedup = v2.PerSecond / v1.PerSecond;
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(v1Ratio >= 0.9 ? "PASS" : "MISS")} v1 reports delivered >= 90% of the {v1.Limit:N0}/s limit: {v1Ratio:P0}");
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(v2Ratio >= 0.9 ? "PASS" : "MISS")} v2 stream events delivered >= 90% of the {v2.Limit:N0}/s limit: {v2Ratio:P0}");
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(speedup >= 10 ? "PASS" : "MISS")} v2 stream >= 10x v1: {speedup:0.0}x");
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(deliveries.All(d => d.TooManyRequests == 0) ? "PASS" : "MISS")} no 429 answers: {deliveries.Sum(d => d.TooManyRequests)}");
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(calls.StripeCalls == calls.Accounts ? "PASS" : "MISS")} one Stripe call per account, meter and bucket: {calls.StripeCalls:N0} calls for {calls.Accounts:N0} accounts");
    }

    private static async Task<(ReadFixture Fixture, ReadResults Results)> RunReadsAsync(BenchOptions options, TextWriter progress, Stopwatch clock, List<string> failures)
    {
        var fixture = await ReadFixture.OpenOrBuildAsync(options.ReadAccounts, options.ReadBucketsPerAccount, progress);
        var benchmark = new ReadBenchmark(fixture, options.ReadSamples);
        var rounds = new List<ReadRound>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            var result = await benchmark.RunRoundAsync(round);
            rounds.Add(result);
            await progress.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"[{clock.Elapsed.TotalSeconds,5:0}s] reads, round {round}/{options.Rounds}: GetAsync p50 {result.Library.P50Micros:N0} µs, p99 {result.Library.P99Micros:N0} µs; raw SQL p99 {result.RawSum.P99Micros:N0} µs, per meter {result.RawPerMeter.P99Micros:N0} µs"));
        }

        foreach (var failure in rounds.Select(r => r.Failure).OfType<string>())
        {
            failures.Add("read: " + failure);
            await progress.WriteLineAsync("!!! CORRECTNESS FAILURE: read: " + failure);
        }

        var valid = rounds.Where(r => r.Failure is null).ToList();
        return (fixture, valid.Count == 0
            ? new ReadResults(default, default, default)
            : new ReadResults(Summarize(valid.Select(r => r.RawSum)), Summarize(valid.Select(r => r.RawPerMeter)), Summarize(valid.Select(r => r.Library))));

        static LatencySummary Summarize(IEnumerable<LatencySummary> rounds)
        {
            var list = rounds.ToList();
            return new(list[0].Count, Median(list.Select(r => r.P50Micros)), Median(list.Select(r => r.P99Micros)), Median(list.Select(r => r.MaxMicros)));
        }
    }

    /// <summary>
    /// The increments table. <paramref name="ceiling"/> gives each row the most a durable design could do there
    /// (SQLite: callers x single-row commits per second; PostgreSQL: pgbench's rows per second for that kind of
    /// transaction), shown with the row's share of it.
    /// </summary>
    private static ResultTable IncrementTable(List<CaseResult> results, Func<CaseResult, double>? ceiling = null)
    {
        var table = new ResultTable("case", "callers", "increments/s", "spread", "p50 µs", "p99 µs", "avg batch", "commit µs", "B/incr", "vs (a)", "ceiling", "of ceiling");
        foreach (var result in results)
        {
            var (naive, starred) = NaiveFor(results, result.Callers);
            var ratio = naive is null ? double.NaN : result.PerSecond / naive.PerSecond;
            var limit = ceiling?.Invoke(result) ?? double.NaN;
            table.Add(
                result.Label,
                result.Callers.ToString(CultureInfo.InvariantCulture),
                ResultTable.Count(result.PerSecond),
                double.IsNaN(result.Spread) ? "-" : result.Spread.ToString("0%", CultureInfo.InvariantCulture),
                ResultTable.Micros(result.P50Micros),
                ResultTable.Micros(result.P99Micros),
                result.AverageBatch.ToString("0.0", CultureInfo.InvariantCulture),
                ResultTable.Micros(result.CommitMicros),
                double.IsNaN(result.BytesPerIncrement) ? "-" : result.BytesPerIncrement.ToString("N0", CultureInfo.InvariantCulture),
                ResultTable.Ratio(ratio) + (starred && result.Mode != WriteMode.Naive ? "*" : string.Empty),
                double.IsNaN(limit) ? "-" : ResultTable.Count(limit),
                double.IsNaN(limit) ? "-" : (result.PerSecond / limit).ToString("0%", CultureInfo.InvariantCulture));
        }

        return table;
    }

    private static ResultTable ReadTable(ReadFixture fixture, ReadResults reads)
    {
        var table = new ResultTable("read", "rows in file", "p50 µs", "p99 µs", "max µs", "p99 vs raw SQL");
        var rows = ResultTable.Count(fixture.Rows);
        table.Add("raw SQL SUM, fresh pooled connection", rows, ResultTable.Micros(reads.Raw.P50Micros), ResultTable.Micros(reads.Raw.P99Micros), ResultTable.Micros(reads.Raw.MaxMicros), "1.0x");
        table.Add(
            "raw SQL SUM per meter (GetAsync's answer by hand)",
            rows,
            ResultTable.Micros(reads.RawPerMeter.P50Micros),
            ResultTable.Micros(reads.RawPerMeter.P99Micros),
            ResultTable.Micros(reads.RawPerMeter.MaxMicros),
            ResultTable.Ratio(reads.RawPerMeter.P99Micros / reads.Raw.P99Micros));
        table.Add(
            "UsageMeter.GetAsync (library)",
            rows,
            ResultTable.Micros(reads.Library.P50Micros),
            ResultTable.Micros(reads.Library.P99Micros),
            ResultTable.Micros(reads.Library.MaxMicros),
            ResultTable.Ratio(reads.Library.P99Micros / reads.Raw.P99Micros));
        return table;
    }

    private static IEnumerable<string> Targets(BenchOptions options, ReadFixture fixture, List<CaseResult> results, ReadResults reads)
    {
        var naive = results.Single(r => r.Mode == WriteMode.Naive && r.Callers == TargetCallers);
        var group = results.Single(r => r.Mode == WriteMode.GroupCommit && r.Callers == TargetCallers);
        var keyed = results.Single(r => r.Mode == WriteMode.GroupCommitWithKeys && r.Callers == TargetCallers);
        var ratio = group.PerSecond / naive.PerSecond;
        yield return Target(group.PerSecond >= TargetGroupCommitPerSecond, $"(b) at {TargetCallers} callers >= 200,000/s: {group.PerSecond:N0}/s");
        yield return Target(ratio >= TargetGroupCommitRatio, $"(b) at {TargetCallers} callers >= 50x (a): {ratio:N0}x");
        yield return Target(keyed.PerSecond >= TargetKeyedPerSecond, $"(c) at {TargetCallers} callers >= 50,000/s: {keyed.PerSecond:N0}/s");
        yield return Reached(results, WriteMode.GroupCommit, TargetGroupCommitPerSecond, "(b)");
        yield return Reached(results, WriteMode.GroupCommitWithKeys, TargetKeyedPerSecond, "(c)");
        var quickNote = options.Quick ? $" (quick mode: {fixture.Rows:N0}-row file, not the 10,000,000 of the target)" : string.Empty;
        yield return Target(reads.Library.P99Micros < TargetGetP99Micros, $"GetAsync p99 < 2 ms: {reads.Library.P99Micros / 1_000:0.00} ms{quickNote}");

        static string Target(bool met, string text) => (met ? "- PASS " : "- MISS ") + text;
    }

    /// <summary>
    /// What the library may add to a read: its p99 within 1.5x of the raw SUM of this run, and, for context, of the
    /// same answer (a SUM per meter) written by hand.
    /// </summary>
    private static IEnumerable<string> ReadTargets(ReadResults reads)
    {
        var ratio = reads.Library.P99Micros / reads.Raw.P99Micros;
        var perMeter = reads.Library.P99Micros / reads.RawPerMeter.P99Micros;
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(ratio <= 1.5 ? "PASS" : "MISS")} GetAsync p99 <= 1.5x the raw SQL SUM's p99: {ratio:0.00}x");
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(perMeter <= 1.5 ? "PASS" : "MISS")} GetAsync p99 <= 1.5x the raw SQL SUM per meter's p99: {perMeter:0.00}x");
    }

    /// <summary>The SQLite targets measured against the ceiling of this run.</summary>
    private static IEnumerable<string> CeilingTargets(List<CaseResult> results, double singleCommits)
    {
        var group = results.Single(r => r.Mode == WriteMode.GroupCommit && r.Callers == TargetCallers);
        var keyed = results.Single(r => r.Mode == WriteMode.GroupCommitWithKeys && r.Callers == TargetCallers);
        var share = group.PerSecond / (TargetCallers * singleCommits);
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(share >= 0.5 ? "PASS" : "MISS")} (b) at {TargetCallers} callers >= 50% of the ceiling: {share:P0}");
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(keyed.PerSecond >= group.PerSecond / 2 ? "PASS" : "MISS")} (c) >= 50% of (b) at {TargetCallers} callers: {keyed.PerSecond / group.PerSecond:P0}");
        yield return string.Create(CultureInfo.InvariantCulture, $"- {(group.P99Micros < 2 * group.P50Micros ? "PASS" : "MISS")} no increment waits behind a checkpoint: (b) p99 < 2x p50 at {TargetCallers} callers: {group.P99Micros / group.P50Micros:0.0}x");
    }

    /// <summary>Where a mode first reaches a throughput target: context for a target missed at 64 callers.</summary>
    private static string Reached(List<CaseResult> results, WriteMode mode, double perSecond, string label)
    {
        var first = results.Where(r => r.Mode == mode && r.PerSecond >= perSecond).MinBy(r => r.Callers);
        return first is null
            ? string.Create(CultureInfo.InvariantCulture, $"- note: {label} stays below {perSecond:N0}/s at every caller count measured")
            : string.Create(CultureInfo.InvariantCulture, $"- note: {label} first reaches {perSecond:N0}/s at {first.Callers} callers ({first.PerSecond:N0}/s, avg batch {first.AverageBatch:0})");
    }

    /// <summary>The naive result to compare with: same callers, or the most callers it was run with (starred).</summary>
    private static (CaseResult? Naive, bool Starred) NaiveFor(List<CaseResult> results, int callers)
    {
        var naive = results.Where(r => r.Mode == WriteMode.Naive).ToList();
        var same = naive.Find(r => r.Callers == callers);
        return same is not null ? (same, false) : (naive.MaxBy(r => r.Callers), true);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static double Spread(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count < 2 ? double.NaN : (list.Max() - list.Min()) / Median(list);
    }

    private sealed record CaseResult(WriteMode Mode, string Label, int Callers, double PerSecond, double Spread, double P50Micros, double P99Micros, double AverageBatch, double CommitMicros, double BytesPerIncrement);

    private sealed record ReadResults(LatencySummary Raw, LatencySummary RawPerMeter, LatencySummary Library);
}
