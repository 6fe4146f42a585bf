using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Tool.Tests;

/// <summary>One run of the tool's entry point in process: its exit code and what it wrote.</summary>
public sealed record ToolRun(int ExitCode, string Out, string Error)
{
    /// <summary>Runs the tool with <paramref name="args"/>, the given environment variables only, and a clock at <paramref name="now"/>.</summary>
    public static Task<ToolRun> RunAsync(DateTimeOffset now, IReadOnlyDictionary<string, string>? variables, params string[] args) =>
        RunAsync(now, variables, errorIsTerminal: false, args);

    /// <summary>Runs the tool as <see cref="RunAsync(DateTimeOffset, IReadOnlyDictionary{string, string}?, string[])"/> does, telling it whether standard error is a terminal.</summary>
    public static async Task<ToolRun> RunAsync(DateTimeOffset now, IReadOnlyDictionary<string, string>? variables, bool errorIsTerminal, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new ToolEnvironment(output, error, name => variables is not null && variables.TryGetValue(name, out var value) ? value : null, new FakeTimeProvider(now), errorIsTerminal);
        var code = await ToolApp.RunAsync(args, environment);
        return new ToolRun(code, output.ToString(), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- out ---\n{Out}\n--- error ---\n{Error}";
}
