using System.Reflection;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// Wraps a report store and runs an action once, after the reporter has found what to close and before it closes it:
/// the window in which a plan change saved by the host could be overtaken.
/// </summary>
public class BeforeCloseReportStore : DispatchProxy
{
    private IUsageReportStore _inner = null!;
    private Func<Task>? _action;

    public static IUsageReportStore Create(IUsageReportStore inner, Func<Task> action)
    {
        var store = Create<IUsageReportStore, BeforeCloseReportStore>();
        var proxy = (BeforeCloseReportStore)(object)store;
        proxy._inner = inner;
        proxy._action = action;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return targetMethod.Name == nameof(IUsageReportStore.CloseAsync)
            ? CloseAsync(targetMethod, args)
            : targetMethod.Invoke(_inner, args);
    }

    private async Task<IReadOnlyList<UsageReport>> CloseAsync(MethodInfo method, object?[]? args)
    {
        if (Interlocked.Exchange(ref _action, null) is { } action)
        {
            await action();
        }

        return await (Task<IReadOnlyList<UsageReport>>)method.Invoke(_inner, args)!;
    }
}
