using System.CommandLine;
using Gravity.Usage.Tool.Commands;

namespace Gravity.Usage.Tool;

/// <summary>
/// The <c>gravity-usage</c> command line. Each command lives in its own file under <c>Commands/</c> and is listed in
/// <see cref="CreateCommands"/>; a command that needs Stripe (such as <c>reconcile --period</c>) builds its client with
/// <see cref="StripeEnvironment.CreateClient"/> (<c>STRIPE_API_KEY</c>) itself, so the commands that do not never touch
/// the key, and runs its work through <see cref="CommandRunner"/> for the ledger, the output format and the exit codes.
/// </summary>
internal static class ToolApp
{
    /// <summary>Parses and runs one command line.</summary>
    /// <returns>The exit code (<see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args, ToolEnvironment environment, CancellationToken cancellationToken = default)
    {
        var root = CreateRoot(environment);
        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error }, cancellationToken).ConfigureAwait(false);
    }

    public static RootCommand CreateRoot(ToolEnvironment environment)
    {
        var options = new GlobalOptions();
        var root = new RootCommand("gravity-usage: operate a Gravity.Usage ledger (SQLite or PostgreSQL) and its report outbox.");
        options.AddTo(root);
        var runner = new CommandRunner(options, environment);
        foreach (var command in CreateCommands(runner))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    private static IEnumerable<Command> CreateCommands(CommandRunner runner) =>
    [
        StatusCommand.Create(runner),
        ReportsCommand.Create(runner),
        RedriveCommand.Create(runner),
        ReconcileCommand.Create(runner),
        UsageCommand.Create(runner),
        SchemaCommand.Create(runner),
    ];
}
