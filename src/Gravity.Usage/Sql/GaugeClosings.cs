using System.Data.Common;
using Dapper;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>
/// Closes gauge meters into reports as both stores do, inside the caller's transaction: one report per change of a
/// billing period's value, stamped so that Stripe's <c>last</c> aggregation over the period is that value.
/// </summary>
/// <remarks>
/// <para>
/// A period's value is its latest reading (<see cref="MeterKind.Last"/>), its highest (<see cref="MeterKind.Max"/>: the
/// running maximum), or the latest reading before its end (<see cref="MeterKind.LastEver"/>, carried from earlier
/// periods). A report is made only when that value differs from the period's latest report (or its billing decision
/// does), so a backdated or lower reading that leaves the value as it is sends nothing.
/// </para>
/// <para>
/// Each report's timestamp is the reading's (LastEver: at least the period's start), but always at least one second
/// after the period's previous report: the report made last then has the latest timestamp, which is the one Stripe's
/// <c>last</c> picks whatever order the reports arrive in (retries may reorder them). It stays inside the period and at
/// most 5 minutes ahead of the clock; only when one of those bounds is hit may two reports share a second, and then
/// the one sent later wins, as it does at Stripe.
/// </para>
/// </remarks>
internal static class GaugeClosings
{
    /// <summary>Closes the gauge closings (each with its period), in (account, meter) order, the order writers write gauge rows in.</summary>
    public static async Task CloseAsync(
        DbConnection connection,
        DbTransaction transaction,
        LedgerSql sql,
        string ledgerId,
        IEnumerable<ReportClosing> closings,
        DateTimeOffset now,
        List<UsageReport> reports,
        CancellationToken cancellationToken)
    {
        var gauges = sql.Gauges;
        var ordered = closings
            .Where(c => c.Period is not null)
            .DistinctBy(c => (c.Account, c.Meter, c.Period))
            .OrderBy(c => c.Account, StringComparer.Ordinal)
            .ThenBy(c => c.Meter, StringComparer.Ordinal)
            .ThenBy(c => c.Period!.Value.Start);
        foreach (var closing in ordered)
        {
            var period = closing.Period!.Value;
            var pair = new { closing.Account, closing.Meter };
            if (gauges.LockMeter is { } lockMeter)
            {
                await connection.ExecuteAsync(new CommandDefinition(lockMeter, pair, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            var window = new
            {
                closing.Account,
                closing.Meter,
                FromMs = period.Start.ToUnixTimeMilliseconds(),
                ToMs = period.End.ToUnixTimeMilliseconds(),
                From = UnixTime.CeilingSeconds(period.Start),
                To = UnixTime.CeilingSeconds(period.End),
            };
            var readings = (await connection.QueryAsync<GaugeRow>(new CommandDefinition(gauges.ReadingsForClose, window, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
            var value = await ValueOfPeriodAsync(connection, transaction, gauges, closing.Kind, readings, window, cancellationToken).ConfigureAwait(false);
            if (value is { } current)
            {
                var report = await ReportIfChangedAsync(connection, transaction, sql, ledgerId, closing, period, current, window, now, cancellationToken).ConfigureAwait(false);
                if (report is not null)
                {
                    reports.Add(report);
                }
            }

            // Only the rows as read are marked: a reading written since (PostgreSQL writers do not wait for this close)
            // leaves its row unreported, for the next close.
            foreach (var row in readings.Where(r => r.Reported == 0))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    gauges.MarkReported,
                    new { closing.Account, row.BucketStart, closing.Meter, row.Value, row.ObservedAt },
                    transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The period's value and the instant it stands for, or <see langword="null"/> when the period has none.</summary>
    private static async Task<(long Value, long ObservedAtMs)?> ValueOfPeriodAsync(
        DbConnection connection, DbTransaction transaction, GaugeSql gauges, MeterKind kind, List<GaugeRow> readings, object window, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case MeterKind.LastEver:
                var latest = await connection.QueryFirstOrDefaultAsync<GaugeRow>(new CommandDefinition(gauges.LatestReadingBefore, window, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                return latest is null ? null : (latest.Value, latest.ObservedAt);
            case MeterKind.Max when readings.Count > 0:
                var highest = readings.MaxBy(r => r.Value)!;
                return (highest.Value, highest.ObservedAt);
            case MeterKind.Last when readings.Count > 0:
                var last = readings.MaxBy(r => r.ObservedAt)!;
                return (last.Value, last.ObservedAt);
            default:
                return null;
        }
    }

    private static async Task<UsageReport?> ReportIfChangedAsync(
        DbConnection connection,
        DbTransaction transaction,
        LedgerSql sql,
        string ledgerId,
        ReportClosing closing,
        BillingPeriod period,
        (long Value, long ObservedAtMs) current,
        object window,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var (skipReason, customer, item) = (closing.SkipReason, closing.StripeCustomerId, closing.SubscriptionItemId);
        if (closing.ApplyStoredPlan)
        {
            // The stored mapping decides, read in this transaction, as for sums: billing (by the period's end) and the
            // customer and item the report keeps whatever the mapping becomes.
            var plan = await connection.QueryFirstOrDefaultAsync<AccountRow>(new CommandDefinition(
                sql.GetPlan, new { closing.Account, closing.Meter }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var stored = plan is null ? null : new UsageAccount(closing.Account) { Billable = plan.Billable, BillableSince = AccountMapping.UnixTimeOrNull(plan.BillableSince) };
            skipReason = BillingPlan.SkipReason(stored, period.End);
            (customer, item) = (plan?.StripeCustomerId, plan?.SubscriptionItemId);
        }

        var previous = await connection.QueryFirstOrDefaultAsync<(long Timestamp, long Quantity, string Status)?>(
            new CommandDefinition(sql.Gauges.LatestReport, window, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (previous is { } last && last.Quantity == current.Value && (last.Status == "skipped") == (skipReason is not null))
        {
            return null; // The period's report already carries this value: Stripe's last is right as it is.
        }

        var periodStart = UnixTime.CeilingSeconds(period.Start);
        var latestAllowed = Math.Min(UnixTime.CeilingSeconds(period.End) - 1, now.ToUnixTimeSeconds() + (long)UsageBillingOptions.MaxFutureSkew.TotalSeconds);
        var timestamp = Math.Max(DateTimeOffset.FromUnixTimeMilliseconds(current.ObservedAtMs).ToUnixTimeSeconds(), periodStart);
        if (previous is { } before)
        {
            timestamp = Math.Max(timestamp, before.Timestamp + 1);
        }

        timestamp = Math.Max(Math.Min(timestamp, latestAllowed), previous?.Timestamp ?? periodStart);
        var reportsBefore = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql.Gauges.CountReports, window, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var row = await connection.QueryFirstOrDefaultAsync<ReportRow>(new CommandDefinition(
            sql.Gauges.InsertReport,
            new
            {
                Identifier = ReportIdentifier.CreateForGauge(ledgerId, closing.Account, closing.Meter, timestamp, reportsBefore, current.Value),
                closing.Account,
                closing.Meter,
                BucketStart = timestamp,
                Quantity = current.Value,
                Status = ReportStatusText.Format(skipReason is null ? UsageReportStatus.Pending : UsageReportStatus.Skipped),
                SkipReason = skipReason,
                Now = now.ToUnixTimeMilliseconds(),
            },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);

        // No row: another reporter made this very report (the same identifier) first.
        if (row is null)
        {
            return null;
        }

        if (customer is not null || item is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                sql.InsertReportMapping,
                new { ReportId = row.Id, StripeCustomerId = customer, SubscriptionItemId = item },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            (row.StripeCustomerId, row.SubscriptionItemId) = (customer, item);
        }

        return row.ToReport();
    }
}
