using System.CommandLine;
using Gravity.Usage.PostgreSql;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gravity.Usage.Tool.Ledger;

/// <summary>
/// Which ledger the command line names: <c>--sqlite path</c>, <c>--postgres connection-string</c>, or the
/// <c>GRAVITY_USAGE_POSTGRES</c> variable. The tool never creates a ledger nor changes its schema: a missing file or
/// schema is an error.
/// </summary>
internal sealed class LedgerSource
{
    private LedgerSource(string? sqlitePath, string? postgres, string schema, string tablePrefix)
    {
        SqlitePath = sqlitePath;
        Postgres = postgres;
        Schema = schema;
        TablePrefix = tablePrefix;
    }

    public string? SqlitePath { get; }

    public string? Postgres { get; }

    public string Schema { get; }

    public string TablePrefix { get; }

    public bool IsPostgres => Postgres is not null;

    /// <summary>The password of the PostgreSQL connection string, to scrub from any message the tool prints.</summary>
    public string? Secret => Postgres is null ? null : TryParse(Postgres)?.Password;

    /// <summary>Reads the ledger options of a parsed command line.</summary>
    /// <exception cref="ToolException">None or both providers are named.</exception>
    public static LedgerSource From(ParseResult parse, GlobalOptions options, ToolEnvironment environment, bool required = true)
    {
        var sqlite = parse.GetValue(options.Sqlite);
        var postgres = parse.GetValue(options.Postgres);
        if (sqlite is not null && postgres is not null)
        {
            throw new ToolException("Name one ledger: --sqlite or --postgres, not both.");
        }

        if (sqlite is null && postgres is null)
        {
            postgres = environment.GetVariable(GlobalOptions.PostgresVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        }

        if (required && sqlite is null && postgres is null)
        {
            throw new ToolException($"Name the ledger: --sqlite <path> or --postgres <connection-string> (or set {GlobalOptions.PostgresVariable}).");
        }

        return new LedgerSource(sqlite, postgres, parse.GetValue(options.Schema)!, parse.GetValue(options.TablePrefix)!);
    }

    /// <summary>Opens the store, checking only that it is there; its schema is checked by the first read.</summary>
    /// <exception cref="ToolException">The file does not exist, or the options are invalid.</exception>
    public OpenLedger Open()
    {
        if (Postgres is { } connectionString)
        {
            var builder = TryParse(connectionString) ?? throw new ToolException("The PostgreSQL connection string is malformed.");
            var store = new PostgreSqlUsageStore(new PostgreSqlUsageStoreOptions
            {
                ConnectionString = connectionString,
                SchemaName = Schema,
                PrepareSchemaIfNecessary = false,
            });
            return new OpenLedger(store, $"postgresql {builder.Host}:{builder.Port}/{builder.Database} (schema {Schema})");
        }

        var path = Path.GetFullPath(SqlitePath!);
        if (!File.Exists(path))
        {
            throw new ToolException(ExitCodes.LedgerUnavailable, $"No SQLite ledger at {path}.");
        }

        var sqlite = new SqliteUsageStore(new SqliteUsageStoreOptions
        {
            ConnectionString = new SqliteConnectionStringBuilder { DataSource = path }.ToString(),
            TablePrefix = TablePrefix,
            PrepareSchemaIfNecessary = false,
        });
        return new OpenLedger(sqlite, $"sqlite {path}");
    }

    private static NpgsqlConnectionStringBuilder? TryParse(string connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
