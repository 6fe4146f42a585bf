using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// Finds out whether a transaction committed when the connection failed during its COMMIT, so that a batch that did
/// commit is never reported as failed (its callers would retry and, without a key, count twice).
/// </summary>
/// <remarks>
/// Every batch's transaction first inserts a mark the client chose (schema version 9, <c>usage_commit_mark</c>). When
/// COMMIT or its answer is lost, a new connection claims the same mark: it inserts it as claimed, ON CONFLICT DO
/// NOTHING. That insert waits while the batch's transaction is in progress. Finding the batch's own mark means the
/// batch committed: the callers get the statuses computed for it. Winning means the batch did not commit and never
/// will (its own insert of the mark would now fail): the callers get the original error. A claim that cannot finish
/// within the timeout (its lock wait keeps timing out, or the server stays unreachable) means nobody can tell, and
/// the callers get a <see cref="UsageCommitOutcomeUnknownException"/>.
/// <para>
/// A server that crashed and restarted meanwhile answers the same way: a commit that reached its log keeps the mark,
/// one that did not is gone with the mark. Unlike a transaction id, the mark is never handed to another transaction,
/// so no restart makes the answer ambiguous, with or without idempotency keys.
/// </para>
/// </remarks>
internal static class PostgreSqlCommitOutcome
{
    /// <summary>PostgreSQL's code for a lock not obtained within lock_timeout: the batch's transaction is still in progress.</summary>
    private const string LockNotAvailable = "55P03";

    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan s_maxDelay = TimeSpan.FromSeconds(2);

    /// <summary>A new mark: time-ordered (UUID version 7), so that marks are appended to their index, and random enough never to repeat.</summary>
    public static Guid NewMark(TimeProvider timeProvider) => Guid.CreateVersion7(timeProvider.GetUtcNow());

    /// <summary>The statement that inserts the batch's mark; the first of its transaction.</summary>
    public static NpgsqlBatchCommand InsertMarkCommand(PostgreSqlQueries queries, Guid mark)
    {
        var command = new NpgsqlBatchCommand(queries.Marks.Insert);
        command.Parameters.Add(new NpgsqlParameter<Guid>("mark", mark));
        return command;
    }

    /// <summary>Inserts the batch's mark in <paramref name="transaction"/>, as its first statement.</summary>
    public static async Task InsertMarkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PostgreSqlQueries queries, Guid mark, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { InsertMarkCommand(queries, mark) } };
        await using (batch.ConfigureAwait(false))
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether a COMMIT (or the round trip that carried it) that threw <paramref name="exception"/> may nevertheless
    /// have committed: anything but an answer from the server that refused it (a <see cref="PostgresException"/> other
    /// than a connection or shutdown error). A cancelled round trip may have committed before the cancel arrived.
    /// </summary>
    public static bool MayHaveCommitted(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal),
        _ => true,
    };

    /// <summary>
    /// Returns when the transaction that inserted <paramref name="mark"/> committed; throws <paramref name="commitFailure"/>
    /// when it did not, and <see cref="UsageCommitOutcomeUnknownException"/> when that cannot be told within <paramref name="timeout"/>.
    /// </summary>
    /// <param name="dataSource">Where to open new connections.</param>
    /// <param name="queries">The schema's SQL.</param>
    /// <param name="mark">The mark the transaction inserted first.</param>
    /// <param name="commitFailure">What the COMMIT's round trip threw.</param>
    /// <param name="timeout">How long to keep asking.</param>
    public static async Task ConfirmCommittedAsync(NpgsqlDataSource dataSource, PostgreSqlQueries queries, Guid mark, Exception commitFailure, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = s_firstDelay;
        Exception? lastProblem = null;
        while (true)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new UsageCommitOutcomeUnknownException(
                    $"The connection to PostgreSQL failed during COMMIT of the batch marked {mark}, and whether it committed could not be told within {timeout.TotalSeconds:0.#} s"
                    + (lastProblem is null ? "." : $" (last: {lastProblem.Message}).")
                    + " The increments may or may not have been recorded; retrying with the same idempotency key is safe, retrying without one may count twice.",
                    commitFailure);
            }

            bool? committed;
            try
            {
                using var attempt = new CancellationTokenSource(remaining);
                committed = await ClaimAsync(dataSource, queries, mark, remaining, attempt.Token).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == LockNotAvailable)
            {
                // The batch's transaction still holds its mark: in progress, or its server has not yet seen the client go.
                committed = null;
                lastProblem = ex;
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or IOException or TimeoutException)
            {
                // The server is still unreachable (restarting, or the network is down), or the claim's own answer was lost: ask again shortly.
                committed = null;
                lastProblem = ex;
            }

            switch (committed)
            {
                case true:
                    return;
                case false:
                    // The claim won: nothing of the batch was applied, and nothing will be; the callers get the original error.
                    ExceptionDispatchInfo.Throw(commitFailure);
                    break;
            }

            var wait = delay < remaining ? delay : remaining;
            if (wait > TimeSpan.Zero)
            {
                // Real time, whatever clock the host registered: this waits for a server, as network retries do.
                await Task.Delay(wait, TimeProvider.System).ConfigureAwait(false);
            }

            delay = delay * 2 < s_maxDelay ? delay * 2 : s_maxDelay;
        }
    }

    /// <summary>
    /// Claims the mark and commits the claim: true when the batch's own mark was there (it committed), false when this
    /// claim, or an earlier one whose answer was lost, won; null when the mark is gone (cannot happen within the hour
    /// marks are kept), so that the next attempt claims it.
    /// </summary>
    private static async Task<bool?> ClaimAsync(NpgsqlDataSource dataSource, PostgreSqlQueries queries, Guid mark, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var claim = new NpgsqlBatch(connection, transaction);
                await using (claim.ConfigureAwait(false))
                {
                    var timeout = new NpgsqlBatchCommand("SELECT set_config('lock_timeout', @lock_timeout, true)");
                    var milliseconds = Math.Max(1, (long)lockTimeout.TotalMilliseconds);
                    timeout.Parameters.Add(new NpgsqlParameter<string>("lock_timeout", milliseconds.ToString(CultureInfo.InvariantCulture)));
                    var insert = new NpgsqlBatchCommand(queries.Marks.Claim);
                    insert.Parameters.Add(new NpgsqlParameter<Guid>("mark", mark));
                    claim.BatchCommands.Add(timeout);
                    claim.BatchCommands.Add(insert);
                    await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // Committed before anything is concluded: a claim that won must hold, or the batch could still commit.
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            // A statement of its own, after the claim's commit, so that it sees a batch that committed while the claim waited.
            var read = new NpgsqlCommand(queries.Marks.ReadClaimed, connection);
            await using (read.ConfigureAwait(false))
            {
                read.Parameters.Add(new NpgsqlParameter<Guid>("mark", mark));
                return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) switch
                {
                    bool claimed => !claimed,
                    _ => null,
                };
            }
        }
    }
}
