namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// One increment as its caller knows it, across all attempts with its idempotency key: when it happened, and what the
/// library answered each time.
/// </summary>
public sealed class LogicalIncrement(PlannedIncrement plan, DateTimeOffset timestamp, DateTimeOffset bucketStart)
{
    public PlannedIncrement Plan { get; } = plan;

    public string Account { get; } = SimulationSchedule.AccountName(plan.Account);

    public string Meter { get; } = SimulationSchedule.MeterNames[plan.Meter];

    public string? Key { get; } = plan.Keyed ? $"k{plan.Id}" : null;

    /// <summary>Gets when the usage happened; retries send the same instant, so they land in the same bucket.</summary>
    public DateTimeOffset Timestamp { get; } = timestamp;

    public DateTimeOffset BucketStart { get; } = bucketStart;

    public int Attempts { get; set; }

    /// <summary>Gets or sets a value indicating whether an attempt raced a plan change, so it may fall under either plan.</summary>
    public bool RacedPlanChange { get; set; }

    /// <summary>Gets or sets the plan in effect when the attempt that was counted was recorded.</summary>
    public PlanAtRecord? RecordedUnder { get; set; }

    public int RecordedAnswers { get; set; }

    public int DuplicateAnswers { get; set; }

    public int Faults { get; set; }

    /// <summary>Gets or sets how many attempts failed with an error of the library (not a simulated crash).</summary>
    public int LibraryFaults { get; set; }

    /// <summary>Gets or sets a value indicating whether a batch holding it committed in a process that died before answering.</summary>
    public bool CommittedInLostBatch { get; set; }

    /// <summary>
    /// Gets a value indicating whether a keyed attempt that failed with a library error was in fact applied: a later
    /// attempt was answered Duplicate and none Recorded. It happens when the answer to a COMMIT is lost.
    /// </summary>
    public bool AppliedByFailedAttempt => Key is not null && LibraryFaults > 0 && DuplicateAnswers > 0 && RecordedAnswers == 0 && !CommittedInLostBatch;

    /// <summary>Gets a value indicating whether the ledger must hold it (exactly once).</summary>
    public bool Applied => RecordedAnswers > 0 || CommittedInLostBatch || AppliedByFailedAttempt;

    /// <summary>Gets a value indicating whether its caller still has to retry it: keyed, and never answered.</summary>
    public bool Outstanding => Key is not null && RecordedAnswers + DuplicateAnswers == 0;
}
