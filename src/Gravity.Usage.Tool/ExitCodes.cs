namespace Gravity.Usage.Tool;

/// <summary>The tool's exit codes; the README lists them for scripts.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked; <c>status</c>: the outbox is healthy.</summary>
    public const int Ok = 0;

    /// <summary>The command line or an input was wrong (unknown option, no ledger named, a bad account): nothing was changed.</summary>
    public const int UsageError = 1;

    /// <summary>The ledger could not be used: no such file, the server unreachable, the schema missing or of another version.</summary>
    public const int LedgerUnavailable = 2;

    /// <summary>
    /// <c>status</c>: the outbox needs attention (failed or unknown reports, or a report pending too long);
    /// <c>reconcile</c>: drift, unresolved unknown reports or a problem remain.
    /// </summary>
    public const int Unhealthy = 3;

    /// <summary>Stripe could not be reached, or refused the key or a request (<c>reconcile</c>).</summary>
    public const int StripeUnavailable = 4;

    /// <summary>Cancelled (Ctrl+C) before the command finished.</summary>
    public const int Cancelled = 130;
}
