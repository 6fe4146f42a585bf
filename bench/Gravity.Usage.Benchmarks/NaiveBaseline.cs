using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// Case (a): what an application does without group commit, one durable transaction per increment. Same file, same
/// schema, same upsert statement and the same WAL + <c>synchronous=FULL</c> as the library; only the batching differs.
/// </summary>
/// <remarks>
/// The work is synchronous (Microsoft.Data.Sqlite has no real async I/O), so the benchmark runs each naive caller on
/// its own thread: blocking thread-pool threads would starve the pool and understate the baseline.
/// </remarks>
internal sealed class NaiveBaseline(string connectionString, TimeProvider timeProvider)
{
    private static readonly Task<IncrementOutcome> Recorded = Task.FromResult(IncrementOutcome.Recorded);

    private readonly string _upsert = new SqliteQueries(string.Empty).Upsert;
    private readonly long _bucketTicks = new UsageBillingOptions().BucketSize.Ticks;

    /// <summary>Open a pooled connection, BEGIN IMMEDIATE, upsert the counter row, COMMIT (one fsync).</summary>
    public Task<IncrementOutcome> IncrementAsync(string account)
    {
        var now = timeProvider.GetUtcNow();
        var bucketStart = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % _bucketTicks), TimeSpan.Zero).ToUnixTimeSeconds();

        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            // synchronous is a per-connection setting; FULL is SQLite's default, set here so the baseline never
            // depends on it. It costs no I/O.
            pragma.CommandText = "PRAGMA synchronous = FULL";
            pragma.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _upsert;
        command.Parameters.AddWithValue("$account", account);
        command.Parameters.AddWithValue("$bucket_start", bucketStart);
        command.Parameters.AddWithValue("$meter", UsageBillingOptions.DefaultMeterName);
        command.Parameters.AddWithValue("$quantity", 1L);
        if (command.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException("The naive upsert changed no row.");
        }

        transaction.Commit();
        return Recorded;
    }
}
