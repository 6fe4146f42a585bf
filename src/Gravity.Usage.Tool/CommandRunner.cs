using System.CommandLine;
using System.Net.Sockets;
using Gravity.Usage.Tool.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gravity.Usage.Tool;

/// <summary>
/// Runs a command's work on the named ledger and turns every failure into one line on standard error and a meaningful
/// exit code (<see cref="ExitCodes"/>). Secrets (the PostgreSQL password) are scrubbed from every message.
/// </summary>
internal sealed class CommandRunner(GlobalOptions options, ToolEnvironment environment)
{
    public GlobalOptions Options => options;

    public ToolEnvironment Environment => environment;

    /// <summary>Runs work that needs the ledger.</summary>
    public Task<int> RunAsync(ParseResult parse, Func<OpenLedger, CommandContext, CancellationToken, Task<int>> work, CancellationToken cancellationToken) =>
        RunCoreAsync(parse, ledgerRequired: true, async (context, source, ct) =>
        {
            var ledger = source.Open();
            await using (ledger.ConfigureAwait(false))
            {
                return await work(ledger, context, ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <summary>Runs work that does not open the ledger (such as printing the install script).</summary>
    public Task<int> RunWithoutLedgerAsync(ParseResult parse, Func<CommandContext, LedgerSource, CancellationToken, Task<int>> work, CancellationToken cancellationToken) =>
        RunCoreAsync(parse, ledgerRequired: false, work, cancellationToken);

    private async Task<int> RunCoreAsync(ParseResult parse, bool ledgerRequired, Func<CommandContext, LedgerSource, CancellationToken, Task<int>> work, CancellationToken cancellationToken)
    {
        string? secret = null;
        try
        {
            var source = LedgerSource.From(parse, options, environment, ledgerRequired);
            secret = source.Secret;
            var context = new CommandContext(environment, parse.GetValue(options.Json));
            return await work(context, source, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await environment.Error.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (Classify(ex) is { } code)
        {
            await environment.Error.WriteLineAsync("gravity-usage: " + Scrub(Describe(ex), secret)).ConfigureAwait(false);
            return code;
        }
    }

    /// <summary>The exit code of a failure the tool expects, or <see langword="null"/> for a bug (the stack trace is shown then).</summary>
    private static int? Classify(Exception exception) => exception switch
    {
        ToolException tool => tool.ExitCode,
        OptionsValidationException or ArgumentException => ExitCodes.UsageError,
        UsageSchemaException or UsageLedgerFileLostException => ExitCodes.LedgerUnavailable,
        NpgsqlException or SqliteException or SocketException or TimeoutException or IOException => ExitCodes.LedgerUnavailable,
        OperationCanceledException => ExitCodes.LedgerUnavailable, // a connection timeout surfaces as a cancellation
        _ => null,
    };

    private static string Describe(Exception exception) => exception switch
    {
        ToolException or ArgumentException or OptionsValidationException => exception.Message,
        OperationCanceledException => "The ledger did not answer in time.",
        _ => "The ledger is unavailable: " + exception.Message + (exception.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty),
    };

    private static string Scrub(string message, string? secret) =>
        string.IsNullOrEmpty(secret) ? message : message.Replace(secret, "***", StringComparison.Ordinal);
}

/// <summary>What a command's work writes to and how.</summary>
/// <param name="Environment">The tool's environment.</param>
/// <param name="Json">Whether to write JSON instead of tables.</param>
internal sealed record CommandContext(ToolEnvironment Environment, bool Json)
{
    public TextWriter Out => Environment.Out;

    public DateTimeOffset Now => Environment.Clock.GetUtcNow();
}
