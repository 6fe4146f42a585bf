using System.Data.Common;
using Dapper;

namespace Gravity.Usage.Sql;

/// <summary>Closes counters into reports as both stores do, inside the caller's transaction.</summary>
internal static class ReportClosings
{
    /// <summary>
    /// Moves each counter's growth into a report inside the caller's transaction. The counter is read again here (and
    /// locked, where the store's <see cref="LedgerSql.CounterForClose"/> does so), so usage added since it was found is
    /// included, and the identifier is derived from the quantity reported before.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The caller's transaction, committed by the caller.</param>
    /// <param name="sql">The store's SQL texts.</param>
    /// <param name="closings">The counters to close.</param>
    /// <param name="now">The instant the reports are created.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>The reports created, in the order of <paramref name="closings"/>.</returns>
    public static async Task<List<UsageReport>> CloseAsync(
        DbConnection connection,
        DbTransaction transaction,
        LedgerSql sql,
        IEnumerable<ReportClosing> closings,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var reports = new List<UsageReport>();
        var ledgerId = await connection.QuerySingleAsync<string>(new CommandDefinition(sql.LedgerId, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

        // Counters are locked in the order writers lock them (account, bucket, meter; see PostgreSqlBatchWriter), so a
        // close running beside other processes' group commits cannot deadlock with them.
        var ordered = closings
            .OrderBy(c => c.Account, StringComparer.Ordinal)
            .ThenBy(c => c.BucketStart)
            .ThenBy(c => c.Meter, StringComparer.Ordinal);
        foreach (var closing in ordered)
        {
            var bucketStart = closing.BucketStart.ToUnixTimeSeconds();
            var key = new { closing.Account, closing.Meter, BucketStart = bucketStart };
            var counter = await connection.QueryFirstOrDefaultAsync<(long Quantity, long ReportedQuantity)?>(
                new CommandDefinition(sql.CounterForClose, key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (counter is not { } current || current.Quantity <= current.ReportedQuantity)
            {
                continue;
            }

            // A statement of its own, after the counter is locked, so that it sees a correction that committed meanwhile.
            var corrections = await connection.ExecuteScalarAsync<long>(
                new CommandDefinition(sql.CountCorrections, key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var skipReason = closing.ApplyStoredPlan
                ? BillingPlan.SkipReason(await StoredPlanAsync(connection, transaction, sql, closing.Account, cancellationToken).ConfigureAwait(false), closing.BucketEnd)
                : closing.SkipReason;
            var quantity = current.Quantity - current.ReportedQuantity;
            var row = await connection.QuerySingleAsync<ReportRow>(new CommandDefinition(
                sql.InsertReport,
                new
                {
                    Identifier = ReportIdentifier.Create(ledgerId, closing.Account, closing.Meter, bucketStart, current.ReportedQuantity, quantity, corrections),
                    closing.Account,
                    closing.Meter,
                    BucketStart = bucketStart,
                    Quantity = quantity,
                    Status = ReportStatusText.Format(skipReason is null ? UsageReportStatus.Pending : UsageReportStatus.Skipped),
                    SkipReason = skipReason,
                    Now = now.ToUnixTimeMilliseconds(),
                },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                sql.MarkCounterReported,
                new { closing.Account, closing.Meter, BucketStart = bucketStart, current.Quantity, ReportedBefore = current.ReportedQuantity },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            reports.Add(row.ToReport());
        }

        return reports;
    }

    /// <summary>The account's plan as stored now, read inside the caller's transaction.</summary>
    private static async Task<UsageAccount?> StoredPlanAsync(DbConnection connection, DbTransaction transaction, LedgerSql sql, string account, CancellationToken cancellationToken)
    {
        var plan = await connection.QueryFirstOrDefaultAsync<(bool Billable, long? BillableSince)?>(
            new CommandDefinition(sql.GetPlan, new { Account = account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return plan is { } p ? new UsageAccount(account) { Billable = p.Billable, BillableSince = AccountMapping.UnixTimeOrNull(p.BillableSince) } : null;
    }
}
