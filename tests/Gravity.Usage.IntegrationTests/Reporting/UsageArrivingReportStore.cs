using System.Reflection;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// Wraps a report store and records an increment just before each look for unreported usage, as steady traffic on a
/// busy account would between the reporter's steps. Every other call goes straight to the wrapped store (a proxy, so
/// the wrapper follows the interface as it changes).
/// </summary>
public class UsageArrivingReportStore : DispatchProxy
{
    private IUsageReportStore _inner = null!;
    private Func<Task> _increment = null!;
    private int _budget;
    private int _remaining;

    /// <summary>How many increments were recorded so far.</summary>
    public int Arrived => _budget - Volatile.Read(ref _remaining);

    /// <summary>Wraps <paramref name="inner"/>; at most <paramref name="budget"/> increments are recorded.</summary>
    public static (IUsageReportStore Store, UsageArrivingReportStore Traffic) Create(IUsageReportStore inner, Func<Task> increment, int budget)
    {
        var store = Create<IUsageReportStore, UsageArrivingReportStore>();
        var traffic = (UsageArrivingReportStore)(object)store;
        traffic._inner = inner;
        traffic._increment = increment;
        traffic._budget = budget;
        traffic._remaining = budget;
        return (store, traffic);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return targetMethod.Name == nameof(IUsageReportStore.GetUnreportedAsync)
            ? GetUnreportedAsync(targetMethod, args)
            : targetMethod.Invoke(_inner, args);
    }

    private async Task<IReadOnlyList<UnreportedUsage>> GetUnreportedAsync(MethodInfo method, object?[]? args)
    {
        if (Interlocked.Decrement(ref _remaining) >= 0)
        {
            await _increment();
        }
        else
        {
            Interlocked.Increment(ref _remaining);
        }

        return await (Task<IReadOnlyList<UnreportedUsage>>)method.Invoke(_inner, args)!;
    }
}
