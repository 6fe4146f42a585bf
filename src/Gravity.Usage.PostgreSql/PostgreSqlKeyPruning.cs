using Dapper;
using Gravity.Usage.Internal;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// Deletes expired idempotency keys: those stored as text before schema version 8 first, while any is left, then
/// the hashed ones, oldest first through their index on recorded_at; then the commit marks older than an hour
/// (<see cref="PostgreSqlCommitOutcome"/>), counted with the keys so that a full slice brings the next one sooner.
/// </summary>
internal static class PostgreSqlKeyPruning
{
    public static async Task<int> PruneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PostgreSqlQueries queries, DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken)
    {
        var deleted = 0;
        if (queries.Keys.LegacyKeysLeft)
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                queries.PruneKeys,
                new { RecordedBefore = recordedBefore.ToUnixTimeMilliseconds(), MaxKeys = maxKeys },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            // Checked only by a round that deleted none, so that a rollback cannot bring back keys thought gone.
            if (deleted == 0 && !await connection.ExecuteScalarAsync<bool>(new CommandDefinition(queries.Keys.LegacyAny, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                queries.Keys.NoLegacyKeysLeft();
            }
        }

        if (deleted < maxKeys)
        {
            deleted += await connection.ExecuteAsync(new CommandDefinition(
                queries.Keys.Prune,
                new { PrunedBefore = IdempotencyKeyExpiry.PrunedBefore(recordedBefore), MaxKeys = maxKeys - deleted },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        if (deleted < maxKeys)
        {
            // The commit marks of batches (one a batch, kept an hour) go with the keys, in the same budget of rows.
            deleted += await connection.ExecuteAsync(new CommandDefinition(
                queries.Marks.Sweep, new { MaxMarks = maxKeys - deleted }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return deleted;
    }
}
