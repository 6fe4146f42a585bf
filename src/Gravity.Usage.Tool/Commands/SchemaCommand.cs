using System.CommandLine;
using Gravity.Usage.PostgreSql;
using Gravity.Usage.Sqlite;
using Gravity.Usage.Tool.Output;

namespace Gravity.Usage.Tool.Commands;

/// <summary>
/// <c>schema script</c>: prints the SQL that installs the whole schema, for a DBA who applies it by hand. The provider
/// follows <c>--postgres</c> / <c>--sqlite</c> (or <c>--provider</c>); no connection is opened.
/// </summary>
internal static class SchemaCommand
{
    public static Command Create(CommandRunner runner)
    {
        var provider = new Option<string?>("--provider") { Description = "sqlite or postgresql (default: the ledger named, else sqlite)." };
        provider.AcceptOnlyFromAmong("sqlite", "postgresql");
        var script = new Command("script", "Prints the install script of the schema.") { provider };
        script.SetAction((parse, ct) => runner.RunWithoutLedgerAsync(parse, (context, source, _) =>
        {
            var postgres = parse.GetValue(provider) is { } chosen ? chosen == "postgresql" : source.IsPostgres;
            var text = postgres ? PostgreSqlUsageStore.GetInstallScript(source.Schema) : SqliteUsageStore.GetInstallScript(source.TablePrefix);
            if (context.Json)
            {
                Json.Write(context.Out, new
                {
                    provider = postgres ? "postgresql" : "sqlite",
                    version = postgres ? PostgreSqlUsageStore.SchemaVersion : SqliteUsageStore.SchemaVersion,
                    script = text,
                });
            }
            else
            {
                context.Out.Write(text);
                if (!text.EndsWith('\n'))
                {
                    context.Out.WriteLine();
                }
            }

            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return new Command("schema", "The ledger's schema.") { script };
    }
}
