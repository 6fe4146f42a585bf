using System.Diagnostics;
using System.Globalization;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// Case (b) in two OS processes at once against one schema: the benchmark starts itself twice in a hidden
/// <c>--pg-worker</c> mode, with one measurement window for both (monotonic <see cref="Stopwatch"/> timestamps, which
/// every process of the machine shares), and adds up what each acknowledged inside it.
/// </summary>
internal static class PostgreSqlTwoProcesses
{
    public const string WorkerFlag = "--pg-worker";
    private const int Processes = 2;

    /// <summary>Time for the workers to start before the warm-up begins.</summary>
    private static readonly TimeSpan StartupAllowance = TimeSpan.FromSeconds(3);

    public static async Task<(double PerSecond, string? Failure)> RunAsync(string connectionString, int callers, BenchOptions options)
    {
        await using var ledger = await PostgreSqlLedger.CreateAsync(connectionString);
        var window = MeasurementWindow.StartingAfter(StartupAllowance + options.Warmup, options.Measured);
        var workers = Enumerable.Range(0, Processes).Select(_ => StartWorker(connectionString, ledger.Schema, callers, window)).ToList();
        long inWindow = 0, acknowledged = 0;
        var problems = new List<string>();
        foreach (var worker in workers)
        {
            using (worker)
            {
                var output = await worker.StandardOutput.ReadToEndAsync();
                await worker.WaitForExitAsync();
                var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("WORKER ", StringComparison.Ordinal));
                if (worker.ExitCode != 0 || line is null)
                {
                    problems.Add($"a worker exited with {worker.ExitCode}: {output.Trim()}");
                    continue;
                }

                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => f.Split('=')).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
                inWindow += fields["inwindow"];
                acknowledged += fields["acknowledged"];
            }
        }

        var failure = problems.Count > 0 ? string.Join("; ", problems) : await IncrementBenchmark.VerifyPostgreSqlAsync(ledger, acknowledged);
        return (inWindow / window.Length.TotalSeconds, failure);
    }

    /// <summary>The worker: <c>--pg-worker CONNSTRING SCHEMA CALLERS WINDOW_START WINDOW_END</c>; prints what it acknowledged.</summary>
    public static async Task<int> RunWorkerAsync(string[] args)
    {
        if (args.Length != 6)
        {
            await Console.Error.WriteLineAsync($"Usage: {WorkerFlag} CONNSTRING SCHEMA CALLERS WINDOW_START WINDOW_END");
            return 2;
        }

        var window = new MeasurementWindow(long.Parse(args[4], CultureInfo.InvariantCulture), long.Parse(args[5], CultureInfo.InvariantCulture));
        var (inWindow, acknowledged) = await IncrementBenchmark.RunPostgreSqlWorkerAsync(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), window);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"WORKER inwindow={inWindow} acknowledged={acknowledged}"));
        return 0;
    }

    private static Process StartWorker(string connectionString, string schema, int callers, MeasurementWindow window)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own executable is unknown.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(PostgreSqlTwoProcesses).Assembly.Location);
        }

        foreach (var argument in new[] { WorkerFlag, connectionString, schema, callers.ToString(CultureInfo.InvariantCulture), window.Start.ToString(CultureInfo.InvariantCulture), window.End.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("The worker did not start.");
    }
}
