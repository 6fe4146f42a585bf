using Gravity.Usage;
using Gravity.Usage.Internal;
using Gravity.Usage.Sqlite;
using Gravity.Usage.Stripe;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures usage billing inside <see cref="UsageBillingServiceCollectionExtensions.AddUsageBilling(IServiceCollection, Action{UsageBillingBuilder})"/>.</summary>
public sealed class UsageBillingBuilder
{
    internal UsageBillingBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>Gets the service collection, for provider packages that add their own store.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Changes the counting options (bucket size, limits, queue).</summary>
    /// <param name="configure">Changes the options; they are validated when the application starts.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder Configure(Action<UsageBillingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Binds the options from configuration, such as the <c>Usage</c> section of <c>appsettings.json</c>: the section's
    /// own keys set <see cref="UsageBillingOptions"/> (meters under <c>Meters:&lt;name&gt;</c>), and its <c>Sqlite</c>,
    /// <c>Reporting</c> and <c>Stripe</c> sub-sections, when present, choose and set the SQLite store, the reporting
    /// options and Stripe. Validation is the same as for options set in code, at start, every failure listed.
    /// </summary>
    /// <param name="configuration">The section to bind.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configure(options => configuration.Bind(options));
        if (configuration.GetSection("Sqlite") is { } sqlite && sqlite.Exists())
        {
            UseSqlite(options => sqlite.Bind(options));
        }

        if (configuration.GetSection("Reporting") is { } reporting && reporting.Exists())
        {
            ConfigureReporting(options => reporting.Bind(options));
        }

        if (configuration.GetSection("Stripe") is { } stripe && stripe.Exists())
        {
            UseStripe(options => stripe.Bind(options));
        }

        return this;
    }

    /// <summary>Declares a meter; increments on undeclared meters are rejected. Declaring a meter again updates it.</summary>
    /// <param name="name">The meter's name: 1 to 100 characters, no surrounding white space or control characters.</param>
    /// <param name="configure">Sets how the meter is billed, such as its Stripe event name.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name breaks the rule in the message.</exception>
    public UsageBillingBuilder AddMeter(string name, Action<MeterOptions>? configure = null)
    {
        UsageRules.ValidateMeterName(name, nameof(name));
        Services.Configure<UsageBillingOptions>(options =>
        {
            if (!options.Meters.TryGetValue(name, out var meter))
            {
                options.Meters[name] = meter = new MeterOptions();
            }

            configure?.Invoke(meter);
        });
        return this;
    }

    /// <summary>Keeps the ledger in a SQLite file (the default, next to the application, when no store is chosen).</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, such as <c>Data Source=usage.db</c>.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder UseSqlite(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return UseSqlite(options => options.ConnectionString = connectionString);
    }

    /// <summary>Keeps the ledger in a SQLite file, configured in full.</summary>
    /// <param name="configure">Sets the file, table prefix and schema handling; validated when the application starts.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder UseSqlite(Action<SqliteUsageStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddSqliteOptions(Services).Configure(configure);
        return UseStore(CreateSqliteStore);
    }

    /// <summary>Keeps the ledger in a store of the host's own; the last store chosen wins.</summary>
    /// <param name="factory">Creates the store once, as a singleton.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder UseStore(Func<IServiceProvider, IUsageStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }

    /// <summary>Changes how usage reports are closed and delivered.</summary>
    /// <param name="configure">Changes the options; they are validated when the application starts.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder ConfigureReporting(Action<UsageReportingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Delivers usage reports to Stripe: Billing Meter events by default, or legacy usage records when
    /// <see cref="StripeOptions.Api"/> says so. The options, the API key above all, are validated when the application starts.
    /// Also registers <see cref="StripeBillingCycles"/>, which reads accounts' billing cycles from their subscriptions,
    /// and <see cref="IUsageReconciler"/> (<see cref="StripeUsageReconciler"/>), which reconciles the ledger with Stripe's
    /// meter totals with the <see cref="UsageReconciliationOptions"/> (validated at start).
    /// </summary>
    /// <param name="configure">Sets the API key and, optionally, the API, version, retries and rate.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder UseStripe(Action<StripeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StripeOptions>, StripeOptionsValidator>());
        Services.AddOptions<StripeOptions>().Configure(configure).ValidateOnStart();
        Services.TryAddSingleton(sp => new StripeBillingCycles(
            sp.GetRequiredService<IOptions<StripeOptions>>().Value,
            sp.GetRequiredService<IUsageStore>() as IUsageAccountStore));
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageReconciliationOptions>, UsageReconciliationOptionsValidator>());
        Services.AddOptions<UsageReconciliationOptions>().ValidateOnStart();
        Services.TryAddSingleton<IUsageReconciler>(sp => new StripeUsageReconciler(
            sp.GetRequiredService<IUsageStore>() as IUsageReconciliationStore
                ?? throw new InvalidOperationException("Reconciliation needs a store that keeps usage reports (IUsageReconciliationStore): the SQLite or PostgreSQL store."),
            sp.GetRequiredService<IOptions<StripeOptions>>().Value,
            sp.GetRequiredService<IOptions<UsageBillingOptions>>().Value,
            sp.GetRequiredService<IOptions<UsageReconciliationOptions>>().Value,
            sp.GetService<IUsageAccountResolver>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<StripeUsageReconciler>>()));

        // Pacing, back-off and request timeouts measure real network time, so they run on the system clock even when
        // the host registers a fake TimeProvider for usage time (a clock that only moves when told would stall them).
        return UseSink(sp => StripeSinks.Create(
            sp.GetRequiredService<IOptions<StripeOptions>>().Value,
            TimeProvider.System,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
    }

    /// <summary>
    /// Reports usage to Stripe through a Stripe.net client the host already has (its key, HTTP client, proxy and
    /// Connect settings apply), such as the <c>IStripeClient</c> it registered for payments.
    /// </summary>
    /// <param name="client">Returns the client, from the service provider or otherwise; called once.</param>
    /// <param name="configure">Sets the API and pacing; the key and address come from the client. Optional.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder UseStripe(Func<IServiceProvider, global::Stripe.IStripeClient> client, Action<StripeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        UseStripe(configure ?? (_ => { }));
        Services.AddOptions<StripeOptions>().Configure<IServiceProvider>((options, services) => options.Client ??= client(services));
        return this;
    }

    /// <summary>Delivers usage reports to a billing back end of the host's own; the last sink chosen wins.</summary>
    /// <param name="factory">Creates the sink once, as a singleton.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder UseSink(Func<IServiceProvider, IUsageSink> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }

    /// <summary>
    /// Looks accounts up in the host's own account table instead of the built-in mapping; the last resolver chosen wins.
    /// </summary>
    /// <param name="factory">Creates the resolver once, as a singleton.</param>
    /// <returns>This builder.</returns>
    public UsageBillingBuilder UseAccountResolver(Func<IServiceProvider, IUsageAccountResolver> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }

    internal static OptionsBuilder<SqliteUsageStoreOptions> AddSqliteOptions(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteUsageStoreOptions>, SqliteUsageStoreOptionsValidator>());
        return services.AddOptions<SqliteUsageStoreOptions>().ValidateOnStart();
    }

    internal static SqliteUsageStore CreateSqliteStore(IServiceProvider services) =>
        new(
            services.GetRequiredService<IOptions<SqliteUsageStoreOptions>>().Value,
            services.GetService<TimeProvider>(),
            services.GetRequiredService<IOptions<UsageBillingOptions>>().Value.BucketSize,
            services.GetService<Microsoft.Extensions.Logging.ILogger<SqliteUsageStore>>());
}
