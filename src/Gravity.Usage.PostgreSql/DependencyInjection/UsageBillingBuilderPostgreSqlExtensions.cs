using Gravity.Usage;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps the usage ledger in PostgreSQL, shared by every instance of the application.</summary>
public static class UsageBillingBuilderPostgreSqlExtensions
{
    /// <summary>Keeps the ledger in PostgreSQL, in the <c>gravity_usage</c> schema.</summary>
    /// <param name="builder">The usage billing builder.</param>
    /// <param name="connectionString">An Npgsql connection string, such as <c>Host=db;Database=app;Username=app</c>.</param>
    /// <returns>The builder.</returns>
    public static UsageBillingBuilder UsePostgreSql(this UsageBillingBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgreSql(options => options.ConnectionString = connectionString);
    }

    /// <summary>Keeps the ledger in PostgreSQL through a data source the host owns (and disposes).</summary>
    /// <param name="builder">The usage billing builder.</param>
    /// <param name="dataSource">The data source, such as one built with <see cref="NpgsqlDataSourceBuilder"/>.</param>
    /// <returns>The builder.</returns>
    public static UsageBillingBuilder UsePostgreSql(this UsageBillingBuilder builder, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgreSql(options => options.DataSource = dataSource);
    }

    /// <summary>Keeps the ledger in PostgreSQL, configured in full; the last store chosen wins.</summary>
    /// <param name="builder">The usage billing builder.</param>
    /// <param name="configure">Sets the database, schema and schema handling; validated when the application starts.</param>
    /// <returns>The builder.</returns>
    public static UsageBillingBuilder UsePostgreSql(this UsageBillingBuilder builder, Action<PostgreSqlUsageStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlUsageStoreOptions>, PostgreSqlUsageStoreOptionsValidator>());
        builder.Services.AddOptions<PostgreSqlUsageStoreOptions>().Configure(configure).ValidateOnStart();
        return builder.UseStore(services => new PostgreSqlUsageStore(
            services.GetRequiredService<IOptions<PostgreSqlUsageStoreOptions>>().Value,
            services.GetService<TimeProvider>(),
            services.GetRequiredService<IOptions<UsageBillingOptions>>().Value.BucketSize));
    }
}
