namespace Gravity.Usage.Tool.Output;

/// <summary>
/// A one-line progress display on standard error (rewritten in place), for long reconciliations in a terminal. Reported
/// synchronously, so the line is never written after <see cref="Clear"/>.
/// </summary>
internal sealed class TerminalProgress(TextWriter error) : IProgress<UsageReconciliationProgress>
{
    private int _width;

    public void Report(UsageReconciliationProgress value)
    {
        var line = $"reconciling: {value.Step} {value.Done}/{value.Total}";
        error.Write("\r" + line.PadRight(_width));
        _width = Math.Max(_width, line.Length);
        error.Flush();
    }

    /// <summary>Erases the line, so the results start on a clean one.</summary>
    public void Clear()
    {
        if (_width > 0)
        {
            error.Write("\r" + new string(' ', _width) + "\r");
            error.Flush();
        }
    }
}
