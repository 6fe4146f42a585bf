namespace Gravity.Usage;

/// <summary>How far a reconciliation is: which step, and how many of its units of work are done.</summary>
/// <param name="Step">What the run is doing, e.g. <c>meter errors</c> or <c>summaries</c>.</param>
/// <param name="Done">Units of the step done.</param>
/// <param name="Total">Units of the step in all (customer and meter pairs for summaries; meters for errors).</param>
public readonly record struct UsageReconciliationProgress(string Step, int Done, int Total);
