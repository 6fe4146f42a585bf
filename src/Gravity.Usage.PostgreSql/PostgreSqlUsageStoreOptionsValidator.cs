using Gravity.Usage.Sql;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>Checks <see cref="PostgreSqlUsageStoreOptions"/> and lists every failure at once.</summary>
internal sealed class PostgreSqlUsageStoreOptionsValidator : IValidateOptions<PostgreSqlUsageStoreOptions>
{
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

        if (!SqlIdentifier.IsSafe(options.SchemaName, allowEmpty: false))
        {
            failures.Add(SqlIdentifier.DescribeRule(nameof(PostgreSqlUsageStoreOptions.SchemaName)));
        }

        if (options.CommitOutcomeTimeout < TimeSpan.Zero || options.CommitOutcomeTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nameof(PostgreSqlUsageStoreOptions.CommitOutcomeTimeout)} must be between zero and 10 minutes; it is {options.CommitOutcomeTimeout}."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
