namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// An account's plans over time, as the model expects the built-in account store to keep them (DESIGN §5: a change of
/// plan first closes the usage so far under the old plan; turning billable sets <c>BillableSince</c> to now).
/// </summary>
public sealed class PlanTimeline
{
    private readonly List<(DateTimeOffset At, bool Billable, DateTimeOffset? Since, bool Raced)> _plans = [];

    public PlanTimeline(DateTimeOffset at, bool billable)
    {
        _plans.Add((at, billable, null, false));
    }

    public bool Billable => _plans[^1].Billable;

    /// <summary>Gets the plan in effect now: what usage recorded now is billed under.</summary>
    public PlanAtRecord Current => new(_plans[^1].Billable, _plans[^1].Since);

    /// <summary>
    /// Records a save at <paramref name="at"/>; saving the plan already in place changes nothing. A save that
    /// <paramref name="raced"/> a report run at the same instant lets that run's reports follow either plan.
    /// </summary>
    public void Save(DateTimeOffset at, bool billable, bool raced)
    {
        var (_, wasBillable, since, _) = _plans[^1];
        if (wasBillable == billable)
        {
            return;
        }

        _plans.Add((at, billable, billable ? at : since, raced));
    }

    /// <summary>
    /// Why a report created at <paramref name="createdAt"/> for a bucket ending at <paramref name="bucketEnd"/> must be
    /// skipped, or <see langword="null"/> when it must be billed. A report created at the very instant of a change was
    /// made by the change itself, under the old plan; the simulation never reports at that instant otherwise.
    /// </summary>
    public string? SkipReason(DateTimeOffset createdAt, DateTimeOffset bucketEnd) => SkipReason(_plans.Last(p => p.At < createdAt), bucketEnd);

    /// <summary>
    /// Whether a report created at the instant of a plan change that raced a report run may instead follow the new
    /// plan: the run's close and the change's close serialize either way round.
    /// </summary>
    public bool TryRacedSkipReason(DateTimeOffset createdAt, DateTimeOffset bucketEnd, out string? reason)
    {
        var raced = _plans.FindLast(p => p.At == createdAt && p.Raced);
        reason = raced.Raced ? SkipReason(raced, bucketEnd) : null;
        return raced.Raced;
    }

    private static string? SkipReason((DateTimeOffset At, bool Billable, DateTimeOffset? Since, bool Raced) plan, DateTimeOffset bucketEnd)
    {
        if (!plan.Billable)
        {
            return "free at close time";
        }

        return plan.Since is { } since && bucketEnd <= since ? "bucket ended before the account became billable" : null;
    }

    public override string ToString() => string.Join(" -> ", _plans.Select(p => $"{(p.Billable ? "billable" : "free")}@{p.At:HH:mm:ss}"));
}

/// <summary>The plan an increment was recorded under: billed unless free, or its bucket ended before the account became billable.</summary>
public readonly record struct PlanAtRecord(bool Billable, DateTimeOffset? Since)
{
    public bool Bills(DateTimeOffset bucketEnd) => Billable && !(Since is { } since && bucketEnd <= since);
}
