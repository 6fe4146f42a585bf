using System.Diagnostics.Metrics;
using Gravity.Usage;
using Gravity.Usage.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers usage billing: <see cref="UsageMeter"/> and its <see cref="IUsageStore"/>.</summary>
public static class UsageBillingServiceCollectionExtensions
{
    /// <summary>
    /// Registers usage billing with its defaults: a SQLite file next to the application and the <c>usage</c> meter.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddUsageBilling(this IServiceCollection services) => services.AddUsageBilling(_ => { });

    /// <summary>
    /// Registers usage billing with its options bound from configuration (see <see cref="UsageBillingBuilder.Bind"/>),
    /// such as <c>AddUsageBilling(builder.Configuration.GetSection("Usage"))</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <param name="configure">Further choices in code, applied after the configuration; optional.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddUsageBilling(this IServiceCollection services, IConfiguration configuration, Action<UsageBillingBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddUsageBilling(builder =>
        {
            builder.Bind(configuration);
            configure?.Invoke(builder);
        });
    }

    /// <summary>Registers usage billing and configures it. Calling it again adds no services twice; its configuration is added.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Chooses the store, declares meters and sets options.</param>
    /// <returns>The service collection.</returns>
    /// <example>
    /// <code>
    /// services.AddUsageBilling(usage => usage
    ///     .UseSqlite("Data Source=usage.db")
    ///     .AddMeter("api_calls"));
    /// </code>
    /// </example>
    public static IServiceCollection AddUsageBilling(this IServiceCollection services, Action<UsageBillingBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        configure(new UsageBillingBuilder(services));
        if (services.Any(d => d.ServiceType == typeof(UsageBillingMarker)))
        {
            return services;
        }

        services.AddSingleton<UsageBillingMarker>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageBillingOptions>, UsageBillingOptionsValidator>());
        services.AddOptions<UsageBillingOptions>().ValidateOnStart();

        // SQLite is the store unless the host chose another one.
        UsageBillingBuilder.AddSqliteOptions(services);
        services.TryAddSingleton<IUsageStore>(UsageBillingBuilder.CreateSqliteStore);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageReportingOptions>, UsageReportingOptionsValidator>());
        services.AddOptions<UsageReportingOptions>().ValidateOnStart();
        services.TryAddSingleton(sp => StoreAs<IUsageReportStore>(sp, "keep usage reports"));
        services.TryAddSingleton(sp => StoreAs<IUsageAccountStore>(sp, "keep the account mapping"));
        services.TryAddSingleton<IUsageAccountResolver>(sp => new StoreAccountResolver(sp.GetRequiredService<IUsageAccountStore>()));
        services.TryAddSingleton(sp => new UsageReporter(
            sp.GetRequiredService<IUsageReportStore>(),
            sp.GetService<IUsageSink>() ?? throw new InvalidOperationException("Usage reporting needs a sink: call UseStripe(...) or UseSink(...) in AddUsageBilling."),
            sp.GetRequiredService<IUsageAccountResolver>(),
            sp.GetRequiredService<IOptions<UsageBillingOptions>>(),
            sp.GetRequiredService<IOptions<UsageReportingOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<UsageReporter>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IUsageReporter>(sp => sp.GetRequiredService<UsageReporter>());
        services.TryAddSingleton(sp => new UsageMeter(
            sp.GetRequiredService<IUsageStore>(),
            sp.GetRequiredService<IOptions<UsageBillingOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<UsageMeter>(),
            sp.GetService<IMeterFactory>(),
            AccountsForMeter(sp)));
        services.TryAddSingleton<IUsageMeter>(sp => sp.GetRequiredService<UsageMeter>());
        return services;
    }

    /// <summary>
    /// The resolver the meter loads billing cycles through: the registered one, or none when the default (the built-in
    /// mapping) cannot exist because the host's store keeps no account mapping; its accounts then have no cycle.
    /// </summary>
    private static IUsageAccountResolver? AccountsForMeter(IServiceProvider services)
    {
        try
        {
            return services.GetRequiredService<IUsageAccountResolver>();
        }
        catch (InvalidOperationException) when (services.GetRequiredService<IUsageStore>() is not IUsageAccountStore)
        {
            return null;
        }
    }

    private static T StoreAs<T>(IServiceProvider services, string purpose)
        where T : class
    {
        var store = services.GetRequiredService<IUsageStore>();
        return store as T ?? throw new InvalidOperationException($"The usage store {store.GetType().Name} does not {purpose}: implement {typeof(T).Name} on it, or register one.");
    }

    /// <summary>Marks a collection in which usage billing is registered, so a second call adds nothing twice.</summary>
    private sealed class UsageBillingMarker;
}
