using System.CommandLine;

namespace Gravity.Usage.Tool;

/// <summary>The options every command takes: which ledger, and the output format.</summary>
internal sealed class GlobalOptions
{
    /// <summary>The environment variable read when neither <c>--sqlite</c> nor <c>--postgres</c> is given.</summary>
    public const string PostgresVariable = "GRAVITY_USAGE_POSTGRES";

    public Option<string?> Sqlite { get; } = new("--sqlite")
    {
        Description = "Path of the SQLite ledger file.",
        HelpName = "path",
        Recursive = true,
    };

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = $"Npgsql connection string of the PostgreSQL ledger (or set {PostgresVariable}).",
        HelpName = "connection-string",
        Recursive = true,
    };

    public Option<string> Schema { get; } = new("--pg-schema")
    {
        Description = "PostgreSQL schema of the ledger's tables.",
        DefaultValueFactory = _ => "gravity_usage",
        Recursive = true,
    };

    public Option<string> TablePrefix { get; } = new("--table-prefix")
    {
        Description = "SQLite table prefix of the ledger's tables.",
        DefaultValueFactory = _ => string.Empty,
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write JSON for scripts instead of tables.",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Sqlite);
        root.Options.Add(Postgres);
        root.Options.Add(Schema);
        root.Options.Add(TablePrefix);
        root.Options.Add(Json);
    }
}
