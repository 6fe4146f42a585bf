using Npgsql;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// The PostgreSQL server the tests use: GRAVITY_USAGE_POSTGRES, which ./test.sh sets after starting a throw-away
/// server. Without one the PostgreSQL tests are ignored locally, but fail under CI=true: CI never skips them.
/// </summary>
public static class PostgreSqlServer
{
    public const string Variable = "GRAVITY_USAGE_POSTGRES";

    private static readonly Lazy<Task<string?>> s_problem = new(FindProblemAsync);

    public static string ConnectionString => Environment.GetEnvironmentVariable(Variable) ?? string.Empty;

    /// <summary>Returns when the server answers; otherwise ignores the test, or fails it under CI=true.</summary>
    public static async Task RequireAsync()
    {
        if (await s_problem.Value is not { } problem)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"PostgreSQL is required under CI=true and is unavailable: {problem}");
        }

        Assert.Ignore($"PostgreSQL tests skipped: {problem} Run ./test.sh, which starts a PostgreSQL, or set {Variable} to an Npgsql connection string.");
    }

    private static async Task<string?> FindProblemAsync()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            return $"{Variable} is not set.";
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Timeout = 5 };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or InvalidOperationException)
        {
            return $"{Variable} names a server that cannot be reached ({ex.Message}).";
        }
    }
}
