using Gravity.Usage.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the hosted schedule that reports usage on an interval.</summary>
public static class UsageReportingServiceCollectionExtensions
{
    /// <summary>
    /// Runs the usage reporter when the host starts and then every <paramref name="interval"/> (Gravity's
    /// <c>worker_schedule.usage</c>). Hosts with a scheduler of their own call <c>IUsageReporter.ReportAsync</c> instead.
    /// </summary>
    /// <param name="services">The service collection; <c>AddUsageBilling</c> with a sink must be registered too.</param>
    /// <param name="interval">The time between runs: at least one second.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The interval is shorter than one second.</exception>
    public static IServiceCollection AddUsageReportingService(this IServiceCollection services, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (interval < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The reporting interval must be at least one second.");
        }

        services.Replace(ServiceDescriptor.Singleton(new UsageReportingSchedule(interval)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UsageReportingService>());
        return services;
    }
}
