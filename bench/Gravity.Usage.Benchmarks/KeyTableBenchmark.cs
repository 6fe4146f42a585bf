using System.Diagnostics;
using System.Globalization;
using Gravity.Usage.Internal;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// The keyed case at a realistic size: (c) at 64 callers with an empty key table and with one already holding
/// <see cref="BenchOptions.KeysPrefill"/> keys spread over the retention window (generated in bulk SQL, not through
/// the meter), beside (b) without keys; with the bytes each key takes on disk. Both providers.
/// </summary>
internal static class KeyTableBenchmark
{
    private const int Callers = 64;
    private const double TargetShareOfEmpty = 0.8;
    private const double TargetBytesPerKey = 48;
    private const string KeyTable = "usage_idempotency_hash";

    public static async Task RunAsync(BenchOptions options, TextWriter progress, Stopwatch clock, List<string> failures)
    {
        var loadBefore = LoadAverage();
        var results = new List<Row>();
        if (!options.PostgresOnly)
        {
            results.AddRange(await RunSqliteAsync(options, progress, clock, failures));
        }

        if (options.Postgres is { } postgres)
        {
            results.AddRange(await RunPostgreSqlAsync(options, postgres, progress, clock, failures));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"### Idempotency keys at a realistic size ({Callers} callers; load average before: {loadBefore}, after: {LoadAverage()})"));
        Console.WriteLine();
        var table = new ResultTable("ledger", "case", "keys before", "increments/s", "spread", "p50 µs", "p99 µs", "avg batch", "commit µs", "bytes/key on disk");
        foreach (var row in results)
        {
            table.Add(
                row.Ledger,
                row.Case,
                ResultTable.Count(row.KeysBefore),
                ResultTable.Count(Median(row.Rounds.Select(r => r.PerSecond))),
                row.Rounds.Count < 2 ? "-" : Spread(row.Rounds.Select(r => r.PerSecond)).ToString("0%", CultureInfo.InvariantCulture),
                ResultTable.Micros(Median(row.Rounds.Select(r => r.Latency.P50Micros))),
                ResultTable.Micros(Median(row.Rounds.Select(r => r.Latency.P99Micros))),
                Median(row.Rounds.Select(r => r.AverageBatch)).ToString("0.0", CultureInfo.InvariantCulture),
                ResultTable.Micros(Median(row.Rounds.Select(r => r.AverageCommitMicros))),
                double.IsNaN(row.BytesPerKey) ? "-" : row.BytesPerKey.ToString("0.0", CultureInfo.InvariantCulture));
        }

        Console.Write(table);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- keys before: generated in bulk SQL into {KeyTable} (random 16-byte hashes in random order, recording times spread evenly over the default IdempotencyKeyRetention of {new UsageBillingOptions().IdempotencyKeyRetention.TotalHours:0} h, none expired). The prefilled ledger is shared by its rounds, so later rounds start with the keys of earlier ones too."));
        Console.WriteLine("- bytes/key: SQLite: the pages in use the prefill added to the file (page_count - freelist_count, after a checkpoint) / keys generated, in random hash order as the meter inserts them (SQLite here has no dbstat); PostgreSQL: pg_total_relation_size (heap + primary key + recorded_at index) / rows, after the rounds.");
        Console.WriteLine("- the meter prunes while it writes: with a prefilled SQLite table its bounded sweep steps run during the window (paced to at most 5% of the writer's time).");
        foreach (var note in results.Select(r => r.Note).OfType<string>())
        {
            Console.WriteLine("- " + note);
        }

        Console.WriteLine();
        foreach (var ledger in results.Select(r => r.Ledger).Distinct())
        {
            var plain = results.Single(r => r.Ledger == ledger && !r.WithKeys);
            var empty = results.Single(r => r.Ledger == ledger && r.WithKeys && r.KeysBefore == 0);
            var full = results.Single(r => r.Ledger == ledger && r.WithKeys && r.KeysBefore > 0);
            var (plainRate, emptyRate, fullRate) = (Median(plain.Rounds.Select(r => r.PerSecond)), Median(empty.Rounds.Select(r => r.PerSecond)), Median(full.Rounds.Select(r => r.PerSecond)));
            Console.WriteLine(Target(fullRate >= TargetShareOfEmpty * emptyRate, $"{ledger}: keyed with {full.KeysBefore:N0} keys >= 80% of the empty key table: {fullRate:N0} / {emptyRate:N0} = {fullRate / emptyRate:P0}"));
            Console.WriteLine(Target(full.BytesPerKey <= TargetBytesPerKey, $"{ledger}: <= {TargetBytesPerKey:0} bytes per key on disk: {full.BytesPerKey:0.0}"));
            Console.WriteLine(Target(fullRate >= plainRate / 2, $"{ledger}: keyed with {full.KeysBefore:N0} keys >= 50% of (b) without keys: {fullRate:N0} / {plainRate:N0} = {fullRate / plainRate:P0}"));
            if (ledger == "PostgreSQL")
            {
                Console.WriteLine(Target(fullRate >= 60_000, $"{ledger}: keyed with {full.KeysBefore:N0} keys >= 60,000/s: {fullRate:N0}/s (empty key table: {emptyRate:N0}/s)"));
            }
        }

        static string Target(bool met, string text) => (met ? "- PASS " : "- MISS ") + text;
    }

    private static async Task<List<Row>> RunSqliteAsync(BenchOptions options, TextWriter progress, Stopwatch clock, List<string> failures)
    {
        var plain = new Row("SQLite", "(b) group commit, no key", WithKeys: false, 0);
        var empty = new Row("SQLite", "(c) keyed, empty key table", WithKeys: true, 0);
        var full = new Row("SQLite", "(c) keyed, prefilled key table", WithKeys: true, options.KeysPrefill);
        using var prefilled = TempDatabase.Create();
        await using (var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = prefilled.ConnectionString }))
        {
            await store.EnsureSchemaAsync();
        }

        var started = Stopwatch.GetTimestamp();
        using (var connection = new SqliteConnection(prefilled.ConnectionString + ";Pooling=False"))
        {
            connection.Open();
            Execute(connection, "PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;");
            var pagesBefore = UsedBytes(connection);
            var (from, span) = RecordedRange();
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"""
                WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {options.KeysPrefill - 1})
                INSERT INTO {KeyTable} (key_hash, recorded_at, fingerprint)
                SELECT randomblob(16), {from} + (i * {span}) / {options.KeysPrefill}, random() FROM s;
                """));
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
            full = full with { BytesPerKey = (double)(UsedBytes(connection) - pagesBefore) / options.KeysPrefill };
        }

        full = full with { Note = string.Create(CultureInfo.InvariantCulture, $"SQLite prefill of {options.KeysPrefill:N0} keys took {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s; file {new FileInfo(prefilled.Path).Length / 1_048_576.0:N0} MiB.") };
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,5:0}s] {full.Note}"));

        long acknowledgedOnPrefilled = 0;
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var withKeys in (bool[])[false, true])
            {
                using var database = TempDatabase.Create();
                await using var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = database.ConnectionString });
                await store.EnsureSchemaAsync();
                var result = await IncrementBenchmark.RunGroupCommitAsync(store, withKeys, Callers, options);
                (withKeys ? empty : plain).Rounds.Add(result);
                await Report(progress, clock, withKeys ? empty : plain, round, options, result);
            }

            await using (var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = prefilled.ConnectionString }))
            {
                var result = await IncrementBenchmark.RunGroupCommitAsync(store, withKeys: true, Callers, options, keyPrefix: $"round{round}");
                full.Rounds.Add(result);
                acknowledgedOnPrefilled += result.Acknowledged;
                await Report(progress, clock, full, round, options, result);
            }

            using var check = new SqliteConnection(prefilled.ConnectionString + ";Pooling=False");
            check.Open();
            var counted = Scalar(check, "SELECT COALESCE(SUM(quantity), 0) FROM usage_counter");
            var keys = Scalar(check, $"SELECT COUNT(*) FROM {KeyTable}");
            if (counted != acknowledgedOnPrefilled || keys != options.KeysPrefill + acknowledgedOnPrefilled)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"SQLite prefilled key table, round {round}: counters {counted:N0} and keys {keys:N0} for {acknowledgedOnPrefilled:N0} acknowledged increments and {options.KeysPrefill:N0} generated keys."));
            }
        }

        return [plain, empty, full];
    }

    private static async Task<List<Row>> RunPostgreSqlAsync(BenchOptions options, string connectionString, TextWriter progress, Stopwatch clock, List<string> failures)
    {
        var plain = new Row("PostgreSQL", "(b) group commit, no key", WithKeys: false, 0);
        var empty = new Row("PostgreSQL", "(c) keyed, empty key table", WithKeys: true, 0);
        var full = new Row("PostgreSQL", "(c) keyed, prefilled key table", WithKeys: true, options.KeysPrefill);
        await using var prefilled = await PostgreSqlLedger.CreateAsync(connectionString);
        var started = Stopwatch.GetTimestamp();
        var (from, span) = RecordedRange();
        await ExecuteAsync(prefilled, string.Create(CultureInfo.InvariantCulture, $"""
            INSERT INTO {prefilled.Schema}.{KeyTable} (key_hash, fingerprint, recorded_at)
            SELECT gen_random_uuid(), (random() * 9.2e18)::bigint, {from} + (i * {span}) / {options.KeysPrefill}
            FROM generate_series(0::bigint, {options.KeysPrefill - 1}) AS i
            """));
        await ExecuteAsync(prefilled, $"VACUUM ANALYZE {{schema}}.{KeyTable}");
        await ExecuteAsync(prefilled, "CHECKPOINT");
        var prefillSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var sizes = await PostgreSqlSizesAsync(prefilled);
        full = full with { Note = string.Create(CultureInfo.InvariantCulture, $"PostgreSQL prefill of {options.KeysPrefill:N0} keys took {prefillSeconds:0} s; {sizes}.") };
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,5:0}s] {full.Note}"));

        long acknowledgedOnPrefilled = 0;
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var withKeys in (bool[])[false, true])
            {
                await using var ledger = await PostgreSqlLedger.CreateAsync(connectionString);
                IncrementRound result;
                await using (var store = ledger.CreateStore())
                {
                    result = await IncrementBenchmark.RunGroupCommitAsync(store, withKeys, Callers, options);
                }

                (withKeys ? empty : plain).Rounds.Add(result);
                await Report(progress, clock, withKeys ? empty : plain, round, options, result);
                if (withKeys && round == options.Rounds)
                {
                    empty = empty with { BytesPerKey = await PostgreSqlBytesPerKeyAsync(ledger) };
                }
            }

            await using (var store = prefilled.CreateStore())
            {
                var result = await IncrementBenchmark.RunGroupCommitAsync(store, withKeys: true, Callers, options, keyPrefix: $"round{round}");
                full.Rounds.Add(result);
                acknowledgedOnPrefilled += result.Acknowledged;
                await Report(progress, clock, full, round, options, result);
            }

            var counted = await prefilled.ScalarAsync("SELECT COALESCE(SUM(quantity), 0) FROM {schema}.usage_counter");
            var keys = await prefilled.ScalarAsync($"SELECT COUNT(*) FROM {{schema}}.{KeyTable}");
            if (counted != acknowledgedOnPrefilled || keys != options.KeysPrefill + acknowledgedOnPrefilled)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"PostgreSQL prefilled key table, round {round}: counters {counted:N0} and keys {keys:N0} for {acknowledgedOnPrefilled:N0} acknowledged increments and {options.KeysPrefill:N0} generated keys."));
            }
        }

        var bytesPerKey = await PostgreSqlBytesPerKeyAsync(prefilled);
        var sizesAfter = await PostgreSqlSizesAsync(prefilled);
        full = full with { BytesPerKey = bytesPerKey, Note = full.Note + " After the rounds: " + sizesAfter };
        return [plain, empty, full];
    }

    /// <summary>Recording times (as stored: Unix seconds) spread over the default retention, none about to expire.</summary>
    private static (long From, long Span) RecordedRange()
    {
        var retention = (long)new UsageBillingOptions().IdempotencyKeyRetention.TotalSeconds;
        var now = IdempotencyKeyExpiry.RecordedSecond(TimeProvider.System.GetUtcNow());
        return (now - retention + 600, retention - 1_200);
    }

    private static Task Report(TextWriter progress, Stopwatch clock, Row row, int round, BenchOptions options, IncrementRound result)
    {
        if (result.Failure is not null)
        {
            throw new InvalidOperationException(result.Failure);
        }

        return progress.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"[{clock.Elapsed.TotalSeconds,5:0}s] {row.Ledger} {row.Case}, round {round}/{options.Rounds}: {result.PerSecond:N0}/s, p50 {result.Latency.P50Micros:N0} µs, p99 {result.Latency.P99Micros:N0} µs, batch {result.AverageBatch:0.0}"));
    }

    /// <summary>The bytes of the file's pages in use (its pages less the free list).</summary>
    private static long UsedBytes(SqliteConnection connection) =>
        (Scalar(connection, "PRAGMA page_count") - Scalar(connection, "PRAGMA freelist_count")) * Scalar(connection, "PRAGMA page_size");

    private static async Task<double> PostgreSqlBytesPerKeyAsync(PostgreSqlLedger ledger)
    {
        var rows = await ledger.ScalarAsync($"SELECT COUNT(*) FROM {{schema}}.{KeyTable}");
        var bytes = await ledger.ScalarAsync($"SELECT pg_total_relation_size('{{schema}}.{KeyTable}')");
        return rows == 0 ? double.NaN : (double)bytes / rows;
    }

    /// <summary>Where PostgreSQL's bytes go: the heap, the primary key and the recorded_at index, per key.</summary>
    private static async Task<string> PostgreSqlSizesAsync(PostgreSqlLedger ledger)
    {
        var rows = (double)await ledger.ScalarAsync($"SELECT COUNT(*) FROM {{schema}}.{KeyTable}");
        var heap = await ledger.ScalarAsync($"SELECT pg_table_size('{{schema}}.{KeyTable}')");
        var primary = await ledger.ScalarAsync($"SELECT pg_relation_size('{{schema}}.{KeyTable}_pkey')");
        var recorded = await ledger.ScalarAsync($"SELECT pg_relation_size('{{schema}}.ix_{KeyTable}_recorded_at')");
        return string.Create(CultureInfo.InvariantCulture, $"per key: heap {heap / rows:0.0} B, primary key {primary / rows:0.0} B, recorded_at index {recorded / rows:0.0} B ({rows:N0} keys)");
    }

    private static async Task ExecuteAsync(PostgreSqlLedger ledger, string sql)
    {
        await using var command = ledger.DataSource.CreateCommand(sql.Replace("{schema}", ledger.Schema, StringComparison.Ordinal));
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double Spread(IEnumerable<double> values)
    {
        var list = values.ToList();
        return (list.Max() - list.Min()) / Median(list);
    }

    private sealed record Row(string Ledger, string Case, bool WithKeys, long KeysBefore)
    {
        public List<IncrementRound> Rounds { get; } = [];

        public double BytesPerKey { get; init; } = double.NaN;

        public string? Note { get; init; }
    }
}
