using Dapper;
using Gravity.Usage.Internal;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// The increment path: one transaction per batch, whose outcome is found out when its COMMIT is lost. The common batch
/// is one round trip (BEGIN, mark, statements, COMMIT); one that needs judging is rolled back and written statement by
/// statement. Several batches run at once on separate pooled connections
/// (<see cref="PostgreSqlUsageStoreOptions.MaxConcurrentBatches"/>); they lock keys, then counters, each in one fixed
/// order, so they wait on one another. Only the statement-by-statement path can take a key after counters (a repeat of a
/// key first used in the same batch); the deadlock PostgreSQL may then report is retried, and nothing was applied.
/// </summary>
public sealed partial class PostgreSqlUsageStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(increments);
        if (increments.Count == 0)
        {
            return [];
        }

        // The meter checks the same rules; checked again here because PostgreSQL refuses NUL and unpaired surrogates
        // by failing the whole transaction, whoever the caller is.
        if (UsageInput.CheckIncrements(increments) is { } problem)
        {
            throw problem;
        }

        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var mark = PostgreSqlCommitOutcome.NewMark(_timeProvider);
                if (new PostgreSqlBatchWriter(connection, null, _queries).PlanOneRoundTrip(increments, mark) is { } plan)
                {
                    await using (plan.Batch.ConfigureAwait(false))
                    {
                        try
                        {
                            await plan.Batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                            return plan.Statuses;
                        }
                        catch (PostgresException ex) when (ex.SqlState == PostgreSqlCommitMarks.NeedsMoreRoundTrips)
                        {
                            // A key recorded before, or a counter at its limit: nothing was applied; judged statement by statement below.
                            await RollBackAsync(connection, cancellationToken).ConfigureAwait(false);
                        }
                        catch (PostgresException ex) when (ex.SqlState == DeadlockDetected && attempt < MaxDeadlockRetries)
                        {
                            await RollBackAsync(connection, cancellationToken).ConfigureAwait(false);
                            continue;
                        }
                        catch (Exception ex) when (PostgreSqlCommitOutcome.MayHaveCommitted(ex))
                        {
                            // The round trip that carried COMMIT, or its answer, was lost.
                            await ConfirmCommittedAsync(connection, mark, ex).ConfigureAwait(false);
                            return plan.Statuses;
                        }
                        catch (PostgresException)
                        {
                            // The server refused a statement, so COMMIT was skipped: end the failed transaction before the connection goes back.
                            await RollBackAsync(connection, CancellationToken.None).ConfigureAwait(false);
                            throw;
                        }
                    }

                    mark = PostgreSqlCommitOutcome.NewMark(_timeProvider);
                }

                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    UsageWriteStatus[] statuses;
                    try
                    {
                        // The mark first (sent with BEGIN): a claim that wins finds it missing, and the transaction then fails on it.
                        await PostgreSqlCommitOutcome.InsertMarkAsync(connection, transaction, _queries, mark, cancellationToken).ConfigureAwait(false);
                        statuses = await new PostgreSqlBatchWriter(connection, transaction, _queries).WriteAsync(increments, cancellationToken).ConfigureAwait(false);
                    }
                    catch (PostgresException ex) when (ex.SqlState == DeadlockDetected && attempt < MaxDeadlockRetries)
                    {
                        continue;
                    }

                    try
                    {
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (PostgreSqlCommitOutcome.MayHaveCommitted(ex))
                    {
                        // The COMMIT or its answer was lost.
                        await ConfirmCommittedAsync(connection, mark, ex).ConfigureAwait(false);
                    }

                    return statuses;
                }
            }
        }
    }

    /// <summary>
    /// Reports what really happened to a batch whose COMMIT or its answer was lost, never a failure that committed. The
    /// batch's connection goes back first: with a small pool the claim would otherwise wait for the very connection it holds.
    /// </summary>
    private async Task ConfirmCommittedAsync(NpgsqlConnection connection, Guid mark, Exception commitFailure)
    {
        await connection.CloseAsync().ConfigureAwait(false);
        await PostgreSqlCommitOutcome.ConfirmCommittedAsync(_dataSource, _queries, mark, commitFailure, _commitOutcomeTimeout).ConfigureAwait(false);
    }

    /// <summary>Ends a transaction that BEGIN opened in a batch's round trip and a failed statement left aborted; best effort.</summary>
    private static async Task RollBackAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        var rollback = new NpgsqlCommand("ROLLBACK", connection);
        await using (rollback.ConfigureAwait(false))
        {
            try
            {
                await rollback.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or OperationCanceledException or TimeoutException)
            {
                // The batch's own error is what the caller must see (it decides splitting and retries); a connection
                // that cannot roll back is broken, and the pool resets or drops it.
            }
        }
    }

    /// <inheritdoc />
    int IConcurrentBatchStore.MaxConcurrentBatches => _maxConcurrentBatches;

    /// <inheritdoc />
    bool IBatchFailureClassifier.IsCausedByContent(Exception exception) =>
        // An encoding failure (EncoderFallbackException is an ArgumentException) or a data exception (class 22, such as
        // 22021 invalid byte sequence) or integrity violation (class 23): PostgreSQL refused a value, not the connection.
        exception is ArgumentException
        || exception is PostgresException { SqlState: [ '2', '2' or '3', ..] };
}
