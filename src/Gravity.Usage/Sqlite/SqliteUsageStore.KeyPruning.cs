using Dapper;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// Pruning expired idempotency keys. The hashed keys have no index on their recording time (it would cost as much
/// disk as the keys): they are swept in hash order, a bounded step at a time. Keys stored before schema version 8
/// are pruned through their old index until none is left.
/// </summary>
public sealed partial class SqliteUsageStore : IIdempotencyKeySweeper
{
    /// <summary>Where the meter's sweep continues: after this hash (empty: from the start). Guarded by the write lock.</summary>
    private byte[] _sweepAfter = [];

    /// <inheritdoc />
    /// <remarks>
    /// A call reads the key table in hash order from its start until it has deleted <paramref name="maxKeys"/> keys
    /// or reached the end, in one write transaction; the meter prunes through shorter steps of its own.
    /// </remarks>
    public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        return RunWriteAsync(
            writer =>
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                var deleted = PruneLegacyKeys(writer, transaction, recordedBefore, maxKeys);
                writer.Keys.Transaction = transaction;
                byte[]? after = [];
                while (deleted < maxKeys && after is not null)
                {
                    (var step, after) = writer.Keys.SweepStep(after, IdempotencyKeyExpiry.PrunedBefore(recordedBefore), maxKeys - deleted);
                    deleted += step;
                }

                transaction.Commit();
                return deleted;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    Task<(int Deleted, bool PassComplete)> IIdempotencyKeySweeper.SweepExpiredKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        return RunWriteAsync(
            writer =>
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                var deleted = PruneLegacyKeys(writer, transaction, recordedBefore, maxKeys);
                var complete = false;
                if (deleted < maxKeys)
                {
                    writer.Keys.Transaction = transaction;
                    var (step, next) = writer.Keys.SweepStep(_sweepAfter, IdempotencyKeyExpiry.PrunedBefore(recordedBefore), maxKeys - deleted);
                    deleted += step;
                    complete = next is null;
                    _sweepAfter = next ?? [];
                }

                transaction.Commit();
                return (deleted, complete);
            },
            cancellationToken);
    }

    /// <summary>Deletes keys stored before version 8 (as text, with their time in milliseconds) that expired.</summary>
    private int PruneLegacyKeys(SqliteBatchWriter writer, Microsoft.Data.Sqlite.SqliteTransaction transaction, DateTimeOffset recordedBefore, int maxKeys)
    {
        if (!writer.Keys.LegacyKeysLeft)
        {
            return 0;
        }

        var deleted = writer.Connection.Execute(
            _queries.PruneKeys,
            new { RecordedBefore = recordedBefore.ToUnixTimeMilliseconds(), MaxKeys = maxKeys },
            transaction);
        if (deleted == 0)
        {
            // Checked only by a round that deleted none, so that a rollback cannot bring back keys thought gone.
            writer.Keys.RecheckLegacyKeys(transaction);
        }

        return deleted;
    }
}
