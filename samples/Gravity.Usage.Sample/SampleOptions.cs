using System.Globalization;

namespace Gravity.Usage.Sample;

/// <summary>The sample's command line: where the ledger lives and how much traffic to simulate.</summary>
internal sealed record SampleOptions(string DatabasePath, int Accounts, int Increments, int Concurrency)
{
    /// <summary>An Npgsql connection string: the ledger is kept in PostgreSQL instead of the SQLite file.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>Which ledger the sample uses, for the console (the connection string without its password).</summary>
    public string LedgerLabel => PostgresConnectionString is { } connectionString
        ? $"PostgreSQL ({new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Password = null }}, schema gravity_usage)"
        : $"SQLite ({DatabasePath})";

    public const string Usage = """
        Usage: dotnet run --project samples/Gravity.Usage.Sample -- [options]
          --database PATH     SQLite file to open or create (default: usage-sample.db in the current directory)
          --postgres CS       keep the ledger in PostgreSQL (an Npgsql connection string) instead of the SQLite file
          --accounts N        simulated customer accounts, the last one on the free plan (default: 4)
          --increments N      increments to simulate in all (default: 2000)
          --concurrency N     concurrent callers (default: 8)
        """;

    public static SampleOptions Parse(string[] args)
    {
        var options = new SampleOptions(Path.GetFullPath("usage-sample.db"), 4, 2_000, 8);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            options = args[i] switch
            {
                "--database" => options with { DatabasePath = Path.GetFullPath(value) },
                "--postgres" => options with { PostgresConnectionString = value },
                "--accounts" => options with { Accounts = PositiveInt(args[i], value) },
                "--increments" => options with { Increments = PositiveInt(args[i], value) },
                "--concurrency" => options with { Concurrency = PositiveInt(args[i], value) },
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}"),
            };
            i++;
        }

        return options;
    }

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} must be a positive whole number; '{value}' is not.\n{Usage}");
}
