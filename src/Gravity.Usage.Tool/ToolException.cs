namespace Gravity.Usage.Tool;

/// <summary>A failure the tool explains in one line and ends with <see cref="ExitCode"/>.</summary>
internal sealed class ToolException : Exception
{
    public ToolException()
    {
    }

    public ToolException(string message)
        : base(message)
    {
    }

    public ToolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ToolException(int exitCode, string message)
        : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary>Gets the exit code the tool ends with.</summary>
    public int ExitCode { get; } = ExitCodes.UsageError;
}
