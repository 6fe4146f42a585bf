using Gravity.Usage.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Sqlite;

/// <summary>Checks <see cref="SqliteUsageStoreOptions"/> and lists every failure at once.</summary>
internal sealed class SqliteUsageStoreOptionsValidator : IValidateOptions<SqliteUsageStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteUsageStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{nameof(SqliteUsageStoreOptions.ConnectionString)} is required.");
        }
        else
        {
            try
            {
                var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
                if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource.Length == 0
                    || string.Equals(builder.DataSource, ":memory:", StringComparison.Ordinal))
                {
                    failures.Add($"{nameof(SqliteUsageStoreOptions.ConnectionString)} must name a database file; in-memory databases would lose usage.");
                }
                else if (builder.Mode == SqliteOpenMode.ReadOnly)
                {
                    failures.Add($"{nameof(SqliteUsageStoreOptions.ConnectionString)} must allow writing (Mode=ReadOnly was given).");
                }
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{nameof(SqliteUsageStoreOptions.ConnectionString)} is not a valid SQLite connection string: {ex.Message}");
            }
        }

        if (!SqlIdentifier.IsSafe(options.TablePrefix, allowEmpty: true))
        {
            failures.Add(SqlIdentifier.DescribeRule(nameof(SqliteUsageStoreOptions.TablePrefix)));
        }

        if (options.BusyTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{nameof(SqliteUsageStoreOptions.BusyTimeout)} must be at least 1 second; it is {options.BusyTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
