using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Benchmarks;

/// <summary>The measurement conditions printed above the results, including what one fsync costs on this disk.</summary>
internal static class Conditions
{
    public static string Describe(BenchOptions options)
    {
        var (fsyncMedian, fsyncP99) = ProbeFsync();
        var mode = options.Quick ? "quick" : "full";
        return string.Create(CultureInfo.InvariantCulture, $"""
            - mode: {mode}; {options.Rounds} round(s) per case, {options.Measured.TotalSeconds:0.##} s measured after {options.Warmup.TotalSeconds:0.##} s warm-up; the tables show the median of the rounds; rounds of different cases are interleaved
            - machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}, {RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC, SQLite {SqliteVersion()}
            - files: fresh SQLite file per round in {Path.GetTempPath()}, WAL, synchronous=FULL, default UsageBillingOptions (MaxBatchSize 4,096, hourly buckets); 1,000 accounts acct_0000..acct_0999, picked by a seeded Random per caller; one increment outstanding per caller; {(options.WithCycles ? "every account has a monthly billing cycle (increments are cut at its boundary), looked up once per account through the built-in mapping" : "no account has a billing cycle (the meter's cycle cache warm)")}
            - disk: 4 KiB append + fsync takes {fsyncMedian:N0} µs median, {fsyncP99:N0} µs p99 (so at most ~{1_000_000 / fsyncMedian:N0} commits/s)
            """);
    }

    private static string SqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        return connection.ServerVersion;
    }

    /// <summary>Appends 4 KiB and fsyncs it, as a WAL commit does, to show the floor of one durable commit.</summary>
    private static (double Median, double P99) ProbeFsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gravity-usage-bench-fsync-{Guid.NewGuid():N}.tmp");
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        var block = new byte[4_096];
        var recorder = new LatencyRecorder();
        for (var i = 0; i < 220; i++)
        {
            var started = Stopwatch.GetTimestamp();
            file.Write(block);
            file.Flush(flushToDisk: true);
            if (i >= 20)
            {
                recorder.Record(Stopwatch.GetTimestamp() - started);
            }
        }

        var summary = LatencyRecorder.Summarize([recorder]);
        return (summary.P50Micros, summary.P99Micros);
    }
}
