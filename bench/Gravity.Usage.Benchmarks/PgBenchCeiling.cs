using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Gravity.Usage.Benchmarks;

/// <summary>What pgbench measured: transactions per second and the rows they upserted per second.</summary>
/// <param name="Clients">Concurrent pgbench clients (connections).</param>
/// <param name="RowsPerTransaction">Counter rows upserted by each transaction.</param>
/// <param name="TransactionsPerSecond">pgbench's tps, without connection time.</param>
internal sealed record PgBenchFigure(int Clients, int RowsPerTransaction, double TransactionsPerSecond)
{
    public double RowsPerSecond => TransactionsPerSecond * RowsPerTransaction;
}

/// <summary>
/// The ceiling of the PostgreSQL rows: pgbench on the same server, running the upsert the library runs (one
/// transaction that adds to many counter rows, locked in key order) on a table shaped like <c>usage_counter</c>.
/// What the server does for a plain client is what the library's group commit is measured against.
/// </summary>
internal static partial class PgBenchCeiling
{
    /// <summary>Runs pgbench for each (clients, rows) pair; empty when pgbench is not installed.</summary>
    public static async Task<IReadOnlyList<PgBenchFigure>> MeasureAsync(string connectionString, IEnumerable<(int Clients, int Rows)> cases, TimeSpan duration, TextWriter progress)
    {
        var pgbench = Find();
        if (pgbench is null)
        {
            await progress.WriteLineAsync("pgbench not found (PostgreSQL's Debian package has it): no PostgreSQL ceiling this run.");
            return [];
        }

        var schema = $"gub_pgbench_{Guid.NewGuid():N}";
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ExecuteAsync(dataSource, $"""
            CREATE SCHEMA {schema};
            CREATE TABLE {schema}.counter (account text NOT NULL, bucket_start bigint NOT NULL, meter text NOT NULL,
                quantity bigint NOT NULL, reported_quantity bigint NOT NULL DEFAULT 0, PRIMARY KEY (account, bucket_start, meter));
            """);
        var directory = Directory.CreateTempSubdirectory("gravity-usage-pgbench-");
        try
        {
            var figures = new List<PgBenchFigure>();
            foreach (var (clients, rows) in cases)
            {
                var script = Path.Combine(directory.FullName, $"upsert_{rows}.sql");
                await File.WriteAllTextAsync(script, Script(schema, rows));
                var tps = await RunAsync(pgbench, connectionString, script, clients, duration);
                figures.Add(new PgBenchFigure(clients, rows, tps));
                await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"pgbench: {clients} clients x {rows}-row upsert transactions: {tps:N0} tps, {tps * rows:N0} rows/s"));
            }

            return figures;
        }
        finally
        {
            directory.Delete(recursive: true);
            await ExecuteAsync(dataSource, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
    }

    /// <summary>One transaction adding 1 to <paramref name="rows"/> distinct counters of 1,000 accounts, in key order as the library locks them.</summary>
    private static string Script(string schema, int rows) => string.Create(CultureInfo.InvariantCulture, $"""
        \set first random(0, 999)
        INSERT INTO {schema}.counter (account, bucket_start, meter, quantity)
        SELECT 'acct_' || lpad(((:first + g) % 1000)::text, 4, '0') AS account, 0, 'usage', 1
        FROM generate_series(1, {rows}) g ORDER BY account
        ON CONFLICT (account, bucket_start, meter) DO UPDATE SET quantity = {schema}.counter.quantity + excluded.quantity;

        """);

    private static async Task<double> RunAsync(string pgbench, string connectionString, string script, int clients, TimeSpan duration)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(pgbench)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "-n", "-M", "prepared", "-f", script,
            "-c", clients.ToString(CultureInfo.InvariantCulture),
            "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
            "-T", Math.Max(1, (int)Math.Round(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            "-h", builder.Host ?? "127.0.0.1",
            "-p", builder.Port.ToString(CultureInfo.InvariantCulture),
            "-U", builder.Username ?? "postgres",
            builder.Database ?? "postgres",
        })
        {
            start.ArgumentList.Add(argument);
        }

        if (!string.IsNullOrEmpty(builder.Password))
        {
            start.Environment["PGPASSWORD"] = builder.Password;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var match = Tps().Match(await output);
        return process.ExitCode == 0 && match.Success
            ? double.Parse(match.Groups["tps"].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"pgbench failed (exit {process.ExitCode}): {await errors}");
    }

    private static string? Find()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "pgbench"))
            .FirstOrDefault(File.Exists);
        return onPath ?? (Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Order().Select(d => Path.Combine(d, "bin", "pgbench")).LastOrDefault(File.Exists)
            : null);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    [GeneratedRegex(@"tps = (?<tps>[0-9.]+) \(without initial connection time\)", RegexOptions.CultureInvariant)]
    private static partial Regex Tps();
}
