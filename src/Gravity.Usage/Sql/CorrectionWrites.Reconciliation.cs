using System.Data.Common;
using Dapper;

namespace Gravity.Usage.Sql;

/// <summary>Reconciliation's replacement of an unknown report, written as corrections write, in the same lock order.</summary>
internal static partial class CorrectionWrites
{
    /// <summary>
    /// Replaces an unknown report Stripe provably lacks, inside the caller's transaction: the counter is locked first
    /// (as corrections lock it), the report is read again and must still be unknown; corrections waiting on it are
    /// applied (it is never sent as it was), it becomes cancelled, and the rest becomes a new pending report under
    /// <paramref name="newIdentifier"/>, linked to it and billed to the customer it was closed with.
    /// </summary>
    /// <returns>The new report, or <see langword="null"/> when the report was no longer unknown or nothing is left of it.</returns>
    public static async Task<UsageReport?> ReplaceUnknownAsync(
        DbConnection connection,
        DbTransaction transaction,
        LedgerSql ledger,
        CorrectionSql sql,
        long reportId,
        string newIdentifier,
        DateTimeOffset now,
        string note,
        CancellationToken cancellationToken)
    {
        var seen = await connection.QueryFirstOrDefaultAsync<ReportRow>(new CommandDefinition(sql.ReportById, new { Id = reportId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (seen is null || ReportStatusText.Parse(seen.Status) != UsageReportStatus.Unknown)
        {
            return null;
        }

        var counterKey = new { seen.Account, seen.Meter, seen.BucketStart };
        await connection.QueryFirstOrDefaultAsync<(long, long)?>(new CommandDefinition(sql.CounterForCorrection, counterKey, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = await connection.QueryFirstOrDefaultAsync<ReportRow>(new CommandDefinition(sql.ReportForUpdate, new { Id = reportId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (current is null || ReportStatusText.Parse(current.Status) != UsageReportStatus.Unknown)
        {
            return null;
        }

        var waiting = await ApplyWaitingAsync(connection, transaction, sql, current, "Applied: reconciliation found Stripe never counted the report it corrects.", null, cancellationToken).ConfigureAwait(false);
        await CancelAsync(connection, transaction, sql, current.Id, note, null, cancellationToken).ConfigureAwait(false);

        // A gauge's value may be 0 and is sent all the same; a sum is resent only when a correction left something of it.
        var rest = current.Quantity - waiting;
        if (waiting > 0 && rest <= 0)
        {
            return null;
        }

        var replacement = await InsertReportAsync(connection, transaction, ledger, current, newIdentifier, rest, UsageReportStatus.Pending, null, now, cancellationToken).ConfigureAwait(false);
        await LinkAsync(connection, transaction, sql, replacement, current.Id, null, cancellationToken).ConfigureAwait(false);
        return replacement;
    }
}
