using Gravity.Usage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the usage ledger's and outbox's health checks to <c>AddHealthChecks()</c>, for a readiness probe.</summary>
public static class UsageHealthChecksBuilderExtensions
{
    /// <summary>Adds <see cref="UsageLedgerHealthCheck"/>: the ledger is reachable with a current schema and its writer is committing.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the thresholds; optional.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags to filter the check by, such as <c>ready</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is out of range; it is named.</exception>
    public static IHealthChecksBuilder AddUsageLedger(this IHealthChecksBuilder builder, Action<UsageHealthCheckOptions>? configure = null, string name = "gravity-usage-ledger", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = Options(configure);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new UsageLedgerHealthCheck(sp.GetRequiredService<IUsageStore>(), sp.GetRequiredService<UsageMeter>(), options),
            HealthStatus.Unhealthy,
            tags));
    }

    /// <summary>Adds <see cref="UsageOutboxHealthCheck"/>: reports are delivered, none failed or unknown past the thresholds.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the thresholds; optional.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags to filter the check by.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is out of range; it is named.</exception>
    public static IHealthChecksBuilder AddUsageOutbox(this IHealthChecksBuilder builder, Action<UsageHealthCheckOptions>? configure = null, string name = "gravity-usage-outbox", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = Options(configure);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new UsageOutboxHealthCheck(sp.GetRequiredService<IUsageReporter>(), sp.GetService<TimeProvider>() ?? TimeProvider.System, options),
            HealthStatus.Unhealthy,
            tags));
    }

    private static UsageHealthCheckOptions Options(Action<UsageHealthCheckOptions>? configure)
    {
        var options = new UsageHealthCheckOptions();
        configure?.Invoke(options);
        options.Validate();
        return options;
    }
}
