namespace Gravity.Usage.Tool;

/// <summary>What the tool reads and writes besides its arguments, so that tests run it in process.</summary>
/// <param name="Out">Where results go (standard output).</param>
/// <param name="Error">Where errors and warnings go (standard error).</param>
/// <param name="GetVariable">Reads an environment variable.</param>
/// <param name="Clock">The clock ages are measured on.</param>
/// <param name="ErrorIsTerminal">Whether standard error is a terminal, where a long command may show its progress.</param>
internal sealed record ToolEnvironment(TextWriter Out, TextWriter Error, Func<string, string?> GetVariable, TimeProvider Clock, bool ErrorIsTerminal = false);
