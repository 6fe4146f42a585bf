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
        // Sums first, then gauges: writers lock counters before gauge rows, and so does a close.
        var gauges = closings.Where(c => c.Kind != MeterKind.Sum).ToList();
        var ordered = closings
            .Where(c => c.Kind == MeterKind.Sum)
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
            var (skipReason, customer, item) = (closing.SkipReason, closing.StripeCustomerId, closing.SubscriptionItemId);
            if (closing.ApplyStoredPlan)
            {
                // The stored mapping decides, read in this transaction: billing, the bucket's end (cut at the stored
                // cycle's boundary), and the customer and item the report keeps whatever the mapping becomes.
                var plan = await connection.QueryFirstOrDefaultAsync<AccountRow>(new CommandDefinition(
                    sql.GetPlan, new { closing.Account, closing.Meter }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var stored = plan is null ? null : new UsageAccount(closing.Account) { Billable = plan.Billable, BillableSince = AccountMapping.UnixTimeOrNull(plan.BillableSince) };
                skipReason = BillingPlan.SkipReason(stored, PeriodBuckets.ClampToPeriod(closing.BucketStart, closing.BucketEnd, plan?.BillingCycle));
                (customer, item) = (plan?.StripeCustomerId, plan?.SubscriptionItemId);
            }

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
            if (customer is not null || item is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    sql.InsertReportMapping,
                    new { ReportId = row.Id, StripeCustomerId = customer, SubscriptionItemId = item },
                    transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                (row.StripeCustomerId, row.SubscriptionItemId) = (customer, item);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                sql.MarkCounterReported,
                new { closing.Account, closing.Meter, BucketStart = bucketStart, current.Quantity, ReportedBefore = current.ReportedQuantity },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            reports.Add(row.ToReport());
        }

        if (gauges.Count > 0)
        {
            await GaugeClosings.CloseAsync(connection, transaction, sql, ledgerId, gauges, now, reports, cancellationToken).ConfigureAwait(false);
        }

        return reports;
    }
}
