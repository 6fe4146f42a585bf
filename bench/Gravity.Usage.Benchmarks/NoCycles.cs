namespace Gravity.Usage.Benchmarks;

/// <summary>An account resolver that knows no billing cycle and answers from memory: a warm cycle cache.</summary>
internal sealed class NoCycles : IUsageAccountResolver
{
    public static readonly NoCycles Instance = new();

    public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) => Task.FromResult<UsageAccount?>(null);
}
