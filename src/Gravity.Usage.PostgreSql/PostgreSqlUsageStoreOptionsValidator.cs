using Gravity.Usage.Sql;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>Checks <see cref="PostgreSqlUsageStoreOptions"/> and lists every failure at once.</summary>
internal sealed class PostgreSqlUsageStoreOptionsValidator : IValidateOptions<PostgreSqlUsageStoreOptions>
{
    /// <summary>The most batches in flight: beyond a few, PostgreSQL's shared log flush gains nothing and connections are held for nothing.</summary>
    internal const int MaxConcurrentBatchesLimit = 64;

    private static int? TryMaxPoolSize(string connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize;
        }
        catch (ArgumentException)
        {
            return null; // Reported as an invalid connection string.
        }
    }

    private static bool IsMultiplexing(string? connectionString)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(connectionString) && new NpgsqlConnectionStringBuilder(connectionString).Multiplexing;
        }
        catch (ArgumentException)
        {
            return false; // Reported as an invalid connection string.
        }
    }

    public ValidateOptionsResult Validate(string? name, PostgreSqlUsageStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        if (hasConnectionString && options.DataSource is not null)
        {
            failures.Add($"Give either {nameof(PostgreSqlUsageStoreOptions.ConnectionString)} or {nameof(PostgreSqlUsageStoreOptions.DataSource)}, not both.");
        }
        else if (!hasConnectionString && options.DataSource is null)
        {
            failures.Add($"{nameof(PostgreSqlUsageStoreOptions.ConnectionString)} or {nameof(PostgreSqlUsageStoreOptions.DataSource)} is required.");
        }
        else if (hasConnectionString)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{nameof(PostgreSqlUsageStoreOptions.ConnectionString)} is not a valid Npgsql connection string: {ex.Message}");
            }
        }

        if (IsMultiplexing(options.DataSource?.ConnectionString ?? options.ConnectionString))
        {
            failures.Add("Multiplexing is not supported: a batch's BEGIN, statements and COMMIT must run on one connection of their own.");
        }

        if (!SqlIdentifier.IsSafe(options.SchemaName, allowEmpty: false))
        {
            failures.Add(SqlIdentifier.DescribeRule(nameof(PostgreSqlUsageStoreOptions.SchemaName)));
        }

        if (options.CommitOutcomeTimeout < TimeSpan.Zero || options.CommitOutcomeTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nameof(PostgreSqlUsageStoreOptions.CommitOutcomeTimeout)} must be between zero and 10 minutes; it is {options.CommitOutcomeTimeout}."));
        }

        if (options.MaxConcurrentBatches is < 1 or > MaxConcurrentBatchesLimit)
        {
            failures.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nameof(PostgreSqlUsageStoreOptions.MaxConcurrentBatches)} must be between 1 and {MaxConcurrentBatchesLimit}; it is {options.MaxConcurrentBatches}."));
        }
        else if (hasConnectionString && options.DataSource is null && TryMaxPoolSize(options.ConnectionString!) is { } pool && options.MaxConcurrentBatches > pool)
        {
            failures.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nameof(PostgreSqlUsageStoreOptions.MaxConcurrentBatches)} must be at most the connection string's Maximum Pool Size ({pool}); it is {options.MaxConcurrentBatches}."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
