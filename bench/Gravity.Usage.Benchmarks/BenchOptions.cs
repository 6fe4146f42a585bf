using System.Globalization;

namespace Gravity.Usage.Benchmarks;

/// <summary>What one run measures and for how long; parsed from the command line.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Gravity.Usage.Benchmarks -- [options]

          --quick        1 round of 1 s per case and a 1-million-row read file: finishes in under a minute
          --rounds N     rounds per case; the table shows the median of the rounds (default 3, quick 1)
          --seconds S    measured seconds per round, after a warm-up (default 3, quick 1)
          --postgres CS  also measure increments on PostgreSQL (an Npgsql connection string; default: GRAVITY_USAGE_POSTGRES)
          --postgres-only  only the PostgreSQL increment table (needs a server); the environment variable
                         GRAVITY_BENCH_PG_BATCHES sets the store's MaxConcurrentBatches (default 2)
          --reporting-only only the reporting table (v1 meter events and the v2 stream against the stand-in)
          --reads-only   only the read table (GetAsync against the raw SQL query on the same file)
          --with-cycles  give every account a monthly billing cycle (a boundary at hh:37:12) before the increment rounds
          --keys-prefill N  keys generated into the key table (in bulk SQL) for the keyed case at a realistic size
                         (default 10,000,000, quick 1,000,000; 0 skips that table)
          --keys-only    only the key table: (b) and (c) with an empty key table and with the prefilled one, both providers
          --help         show this text
        """;

    /// <summary>The callers of the naive baseline: enough to show that it does not scale, in bounded time.</summary>
    public static readonly IReadOnlyList<int> NaiveCallers = [1, 8, 64];

    /// <summary>The callers of the group-commit cases: beyond 64, more callers share each commit.</summary>
    public static readonly IReadOnlyList<int> GroupCommitCallers = [1, 8, 64, 256, 1024];

    /// <summary>The callers of the group-commit cases on PostgreSQL.</summary>
    public static readonly IReadOnlyList<int> PostgreSqlGroupCommitCallers = [1, 8, 64, 256];

    public bool Quick { get; init; }

    /// <summary>Gets a value indicating whether every account carries a billing cycle, so increments take the period cut.</summary>
    public bool WithCycles { get; init; }

    /// <summary>The PostgreSQL server to measure, or <see langword="null"/> for SQLite only.</summary>
    public string? Postgres { get; init; } = NullIfEmpty(Environment.GetEnvironmentVariable("GRAVITY_USAGE_POSTGRES"));

    public bool PostgresOnly { get; init; }


    /// <summary>Gets a value indicating whether only the reporting table runs (--reporting-only).</summary>

    public bool ReportingOnly { get; init; }

    /// <summary>Gets how many keys the key table holds before the keyed rounds at a realistic size (--keys-prefill).</summary>
    public long KeysPrefill { get; init; } = 10_000_000;

    /// <summary>Gets a value indicating whether only the key table runs (--keys-only).</summary>
    public bool KeysOnly { get; init; }

    /// <summary>Gets a value indicating whether only the read table runs (--reads-only).</summary>
    public bool ReadsOnly { get; init; }

    public int Rounds { get; init; } = 3;

    public TimeSpan Measured { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Accounts in the read file; every account has <see cref="ReadBucketsPerAccount"/> hourly counters.</summary>
    public int ReadAccounts { get; init; } = 1_000;

    public int ReadBucketsPerAccount { get; init; } = 10_000;

    /// <summary>Timed reads per round, after as many untimed ones as warm-up.</summary>
    public int ReadSamples { get; init; } = 2_000;

    public long ReadRows => (long)ReadAccounts * ReadBucketsPerAccount;

    public static bool TryParse(string[] args, out BenchOptions options, out string? error)
    {
        options = new BenchOptions();
        error = null;
        int? rounds = null;
        double? seconds = null;
        var quick = false;
        long? keysPrefill = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--rounds" when i + 1 < args.Length
                    && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var r) && r is >= 1 and <= 50:
                    rounds = r;
                    i++;
                    break;
                case "--seconds" when i + 1 < args.Length
                    && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s is >= 0.2 and <= 600:
                    seconds = s;
                    i++;
                    break;
                case "--postgres" when i + 1 < args.Length && !string.IsNullOrWhiteSpace(args[i + 1]):
                    options = options with { Postgres = args[i + 1] };
                    i++;
                    break;
                case "--postgres-only":
                    options = options with { PostgresOnly = true };
                    break;
                case "--reporting-only":
                    options = options with { ReportingOnly = true };
                    break;
                case "--reads-only":
                    options = options with { ReadsOnly = true };
                    break;
                case "--with-cycles":
                    options = options with { WithCycles = true };
                    break;
                case "--keys-prefill" when i + 1 < args.Length
                    && long.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k <= 1_000_000_000:
                    keysPrefill = k;
                    i++;
                    break;
                case "--keys-only":
                    options = options with { KeysOnly = true };
                    break;
                case "--help" or "-h":
                    error = string.Empty;
                    return false;
                default:
                    error = $"Unknown or invalid argument '{args[i]}' (--rounds takes 1 to 50, --seconds 0.2 to 600).";
                    return false;
            }
        }

        if (quick)
        {
            // A smaller read file (1,000 x 1,000 rows) keeps generation and the row-count check to a few seconds.
            options = options with { Quick = true, Rounds = 1, Measured = TimeSpan.FromSeconds(1), Warmup = TimeSpan.FromSeconds(0.25), ReadBucketsPerAccount = 1_000 };
        }

        if (quick)
        {
            options = options with { KeysPrefill = 1_000_000 };
        }

        if (keysPrefill is { } prefill)
        {
            options = options with { KeysPrefill = prefill };
        }

        if (rounds is { } roundCount)
        {
            options = options with { Rounds = roundCount };
        }

        if (seconds is { } measured)
        {
            options = options with { Measured = TimeSpan.FromSeconds(measured) };
        }

        if (options.PostgresOnly && options.Postgres is null)
        {
            error = "--postgres-only needs --postgres or GRAVITY_USAGE_POSTGRES.";
            return false;
        }

        return true;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
