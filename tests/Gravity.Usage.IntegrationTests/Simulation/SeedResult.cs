namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>What one seed did and found: the violated invariants (none when it passed), the faults it injected and the checks it made.</summary>
public sealed class SeedResult(SimulationSchedule schedule)
{
    public SimulationSchedule Schedule { get; } = schedule;

    public List<string> Violations { get; } = [];

    /// <summary>Gets the faults injected and other events, by kind (e.g. <c>crash CloseAfterCommit</c>).</summary>
    public SortedDictionary<string, long> Events { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets how many comparisons each invariant made.</summary>
    public SortedDictionary<string, long> Checks { get; } = new(StringComparer.Ordinal);

    public TimeSpan Elapsed { get; set; }

    public bool Passed => Violations.Count == 0;

    public void Count(string kind, long by = 1)
    {
        if (by == 0)
        {
            return;
        }

        lock (Events)
        {
            Events[kind] = Events.GetValueOrDefault(kind) + by;
        }
    }

    /// <summary>Records a violation found while the schedule runs (from any thread).</summary>
    public void Violate(string violation)
    {
        lock (Violations)
        {
            Violations.Add(violation);
        }
    }

    public void Check(string invariant, bool holds, Func<string> violation)
    {
        Checks[invariant] = Checks.GetValueOrDefault(invariant) + 1;
        if (!holds)
        {
            Violations.Add($"[{invariant}] {violation()}");
        }
    }
}
