namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// Told what a dying process committed without telling its caller, so the model knows the truth that the caller never
/// learned (a real caller learns it only through retries with the same idempotency key).
/// </summary>
public interface ICrashObserver
{
    /// <summary>An increment batch committed with these statuses, and then its process died.</summary>
    void IncrementsCommittedButLost(IReadOnlyList<UsageIncrement> increments, IReadOnlyList<UsageWriteStatus> statuses);

    /// <summary>An account mapping committed, and then its process died.</summary>
    void AccountSavedButLost(UsageAccount account);
}
