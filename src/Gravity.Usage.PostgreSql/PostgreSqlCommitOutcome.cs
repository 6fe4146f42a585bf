using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// Finds out whether a transaction committed when the connection failed during its COMMIT, so that a batch that did
/// commit is never reported as failed (its callers would retry and, without a key, count twice).
/// </summary>
/// <remarks>
/// Before COMMIT the batch reads its transaction id (<c>pg_current_xact_id()</c>) and the server's start time. When
/// COMMIT or its answer is lost, a new connection asks <c>pg_xact_status</c>: committed means the callers get the
/// statuses computed in the transaction; aborted (or unknown to the server) means nothing was applied and they get the
/// original error; still in progress, or no answer within the timeout, means nobody can tell, and they get a
/// <see cref="UsageCommitOutcomeUnknownException"/>. A server that crashed and restarted meanwhile may have lost the
/// transaction's id with its unflushed log and handed it to another transaction, so its 'committed' is then not proof
/// on its own: the batch's own rows are asked for (the idempotency keys it stored). Present, it committed; absent, it
/// did not; a batch that stored no key cannot be told, and is reported as unknown.
/// </remarks>
internal static class PostgreSqlCommitOutcome
{
    private const string MarkSql = "SELECT pg_current_xact_id()::text, pg_postmaster_start_time()";

    private const string StatusSql = "SELECT pg_xact_status(@xid::xid8), pg_postmaster_start_time()";

    /// <summary>PostgreSQL's code for an invalid argument; pg_xact_status raises it for an id the server never handed out.</summary>
    private const string InvalidParameterValue = "22023";

    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan s_maxDelay = TimeSpan.FromSeconds(2);

    /// <summary>Reads the transaction's id and the server's start time, inside the transaction, just before COMMIT.</summary>
    public static async Task<CommitMark> MarkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(MarkSql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new CommitMark(reader.GetString(0), reader.GetDateTime(1));
            }
        }
    }

    /// <summary>
    /// A statement that reads the mark, to send in one round trip with the transaction's last statement before COMMIT
    /// (<see cref="ReadMarkAsync"/> reads its result).
    /// </summary>
    public static NpgsqlBatchCommand MarkCommand() => new(MarkSql);

    /// <summary>Reads the mark from the result of <see cref="MarkCommand"/>, the reader positioned on its result set.</summary>
    public static async Task<CommitMark> ReadMarkAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new CommitMark(reader.GetString(0), reader.GetDateTime(1));
    }

    /// <summary>
    /// Whether a COMMIT that threw <paramref name="exception"/> may nevertheless have committed: anything but an answer
    /// from the server that refused it (a <see cref="PostgresException"/> other than a connection or shutdown error).
    /// </summary>
    public static bool MayHaveCommitted(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal),
        OperationCanceledException => false,
        _ => true,
    };

    /// <summary>
    /// Returns when the transaction of <paramref name="mark"/> committed; throws <paramref name="commitFailure"/> when
    /// it did not, and <see cref="UsageCommitOutcomeUnknownException"/> when that cannot be told within <paramref name="timeout"/>.
    /// </summary>
    /// <param name="dataSource">Where to open new connections.</param>
    /// <param name="mark">The transaction, read before COMMIT.</param>
    /// <param name="commitFailure">What COMMIT threw.</param>
    /// <param name="timeout">How long to keep asking.</param>
    /// <param name="evidence">
    /// After a server restart: whether the batch's own rows are there (true), are not (false), or cannot tell (null).
    /// </param>
    public static async Task ConfirmCommittedAsync(
        NpgsqlDataSource dataSource, CommitMark mark, Exception commitFailure, TimeSpan timeout, Func<NpgsqlConnection, CancellationToken, Task<bool?>> evidence)
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
                    $"The connection to PostgreSQL failed during COMMIT of transaction {mark.TransactionId}, and whether it committed could not be told within {timeout.TotalSeconds:0.#} s"
                    + (lastProblem is null ? "." : $" (last: {lastProblem.Message}).")
                    + " The increments may or may not have been recorded; retrying with the same idempotency key is safe, retrying without one may count twice.",
                    commitFailure);
            }

            string? status;
            try
            {
                using var attempt = new CancellationTokenSource(remaining);
                status = await ReadStatusAsync(dataSource, mark, evidence, attempt.Token).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == InvalidParameterValue)
            {
                // "Transaction ID is in the future": the server lost every trace of the transaction, so it cannot have committed.
                status = "aborted";
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or IOException or TimeoutException)
            {
                // The server is still unreachable (restarting, or the network is down): ask again shortly.
                status = "unreachable";
                lastProblem = ex;
            }

            switch (status)
            {
                case "committed":
                    return;
                case "committed after restart":
                    throw new UsageCommitOutcomeUnknownException(
                        $"The connection to PostgreSQL failed during COMMIT of transaction {mark.TransactionId}, and the server restarted since; "
                        + "it reports the id as committed, but after a restart that may be another transaction's, and the batch stored no idempotency key to check. "
                        + "The increments may or may not have been recorded; retrying with the same idempotency key is safe, retrying without one may count twice.",
                        commitFailure);
                case "in progress":
                    lastProblem = null;
                    break;
                case "unreachable":
                    break;
                default:
                    // Aborted, or too old to know (null): nothing of the batch was applied; the callers get the original error.
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

    /// <summary>The transaction's status: committed, aborted, in progress, committed after restart (no evidence), or null when too old.</summary>
    private static async Task<string?> ReadStatusAsync(
        NpgsqlDataSource dataSource, CommitMark mark, Func<NpgsqlConnection, CancellationToken, Task<bool?>> evidence, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            string? status;
            DateTime serverStartedAt;
            var command = new NpgsqlCommand(StatusSql, connection);
            await using (command.ConfigureAwait(false))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("xid", mark.TransactionId));
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    (status, serverStartedAt) = (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetDateTime(1));
                }
            }

            if (status == "committed" && serverStartedAt != mark.ServerStartedAt)
            {
                // The id may have been reused after a crash: the batch's own rows decide.
                status = await evidence(connection, cancellationToken).ConfigureAwait(false) switch
                {
                    true => "committed",
                    false => "aborted",
                    null => "committed after restart",
                };
            }

            return status;
        }
    }

    /// <summary>What identifies a batch's transaction after its connection is gone.</summary>
    /// <param name="TransactionId">The full (epoch-qualified) transaction id, as text.</param>
    /// <param name="ServerStartedAt">When the server that ran it started; a different value later means it restarted.</param>
    internal readonly record struct CommitMark(string TransactionId, DateTime ServerStartedAt);
}
