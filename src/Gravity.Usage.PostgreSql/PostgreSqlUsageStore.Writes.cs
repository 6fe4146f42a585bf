using Dapper;
using Gravity.Usage.Internal;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// The increment path: one transaction per batch, whose outcome is found out when its COMMIT is lost. Several batches
/// run at once on separate pooled connections (<see cref="PostgreSqlUsageStoreOptions.MaxConcurrentBatches"/>); they
/// lock keys and counters in one fixed order, so they wait on one another at most and never deadlock.
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
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    UsageWriteStatus[] statuses;
                    PostgreSqlCommitOutcome.CommitMark mark;
                    try
                    {
                        var writer = new PostgreSqlBatchWriter(connection, transaction, _queries);
                        statuses = await writer.WriteAsync(increments, cancellationToken).ConfigureAwait(false);
                        mark = writer.Mark ?? await PostgreSqlCommitOutcome.MarkAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
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
                        // The COMMIT or its answer was lost: report what really happened, never a failure that committed.
                        await PostgreSqlCommitOutcome.ConfirmCommittedAsync(
                            _dataSource, mark, ex, _commitOutcomeTimeout, (c, ct) => StoredKeysArePresentAsync(c, increments, statuses, ct)).ConfigureAwait(false);
                    }

                    return statuses;
                }
            }
        }
    }

    /// <summary>
    /// Whether the idempotency keys this batch stored (those of its recorded increments) are in the ledger; null when
    /// it stored none. After a server restart this, not the transaction id alone, tells whether the batch committed.
    /// </summary>
    private async Task<bool?> StoredKeysArePresentAsync(NpgsqlConnection connection, IReadOnlyList<UsageIncrement> increments, UsageWriteStatus[] statuses, CancellationToken cancellationToken)
    {
        var keyed = increments.Where((increment, i) => increment.IdempotencyKey is not null && statuses[i] == UsageWriteStatus.Recorded).ToList();
        if (keyed.Count == 0)
        {
            return null;
        }

        var found = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            _queries.Keys.Count,
            new { KeyHashes = keyed.Select(k => IdempotencyKeyHash.ToUuid(IdempotencyKeyHash.Of(k))).ToArray() },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return found == keyed.Count;
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
