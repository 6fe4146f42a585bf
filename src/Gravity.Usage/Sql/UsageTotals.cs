using System.Data.Common;
using System.Globalization;
using Dapper;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>
/// The totals read of both stores: per meter, what it bills over a period (the sum of a sum meter, the aggregate of a
/// gauge), split by what became of it (sent, pending, skipped, failed). Every query runs in the caller's transaction,
/// one snapshot, so that usage being closed meanwhile is counted once.
/// </summary>
internal static class UsageTotals
{
    /// <summary>Reads the totals.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="transaction">A transaction that reads one snapshot (SQLite's deferred, PostgreSQL's repeatable read).</param>
    /// <param name="totals">The store's query of counter totals (all meters, or one).</param>
    /// <param name="gauges">The store's gauge texts.</param>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start: buckets that start at or after it.</param>
    /// <param name="periodEnd">The exclusive end: buckets that start before it.</param>
    /// <param name="meter">One meter, or <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The usage per meter, ordered by meter name (ordinal).</returns>
    public static Task<IReadOnlyList<MeterUsage>> ReadAsync(
        DbConnection connection,
        DbTransaction transaction,
        CounterTotalsSql totals,
        GaugeSql gauges,
        string account,
        DateTimeOffset periodStart,
        DateTimeOffset periodEnd,
        string? meter,
        CancellationToken cancellationToken) =>
        ReadAsync(new DapperTotalsQueries(connection, transaction, totals, gauges, account, periodStart, periodEnd, meter), account, periodStart, cancellationToken);

    /// <summary>Reads the totals through a store's own way of running the queries (all in one snapshot).</summary>
    /// <param name="queries">The queries, bound to the account, the period and the meter.</param>
    /// <param name="account">The account, for the message of an overflow.</param>
    /// <param name="periodStart">The inclusive start: buckets that start at or after it.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The usage per meter, ordered by meter name (ordinal).</returns>
    public static async Task<IReadOnlyList<MeterUsage>> ReadAsync(TotalsQueries queries, string account, DateTimeOffset periodStart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var from = UnixTime.CeilingSeconds(periodStart);
        var counters = await queries.CountersAsync(cancellationToken).ConfigureAwait(false);
        // Nothing closed yet (the common read of a period in progress): no report to split by, no query.
        var split = counters.Any(c => c.Reported > 0)
            ? await queries.ReportSplitAsync(cancellationToken).ConfigureAwait(false)
            : [];
        var gaugeRows = await queries.GaugeRowsAsync(cancellationToken).ConfigureAwait(false);
        var readings = gaugeRows.Count == 0
            ? []
            : gaugeRows.GroupBy(r => r.Meter, StringComparer.Ordinal).ToList();

        var result = new List<MeterUsage>(counters.Count + readings.Count);
        var gaugeMeters = new HashSet<string>(readings.Select(g => g.Key), StringComparer.Ordinal);
        foreach (var (name, quantity, reported) in counters)
        {
            if (gaugeMeters.Contains(name))
            {
                continue;
            }

            if (split.Count == 0)
            {
                // No report of the period: all of it is pending (what the split below gives, without its LINQ).
                result.Add(new MeterUsage(name, quantity) { PendingQuantity = quantity - reported });
                continue;
            }

            long Part(params string[] statuses) => Join(split.Where(s => s.Meter == name && statuses.Contains(s.Status)), name, account);
            result.Add(new MeterUsage(name, quantity)
            {
                // Billed net of what the host must credit: a correction of usage Stripe could no longer cancel.
                SentQuantity = Part("sent") - Part("needs_credit"),
                PendingQuantity = (quantity - reported) + Part("pending"),
                SkippedQuantity = Part("skipped"),
                FailedQuantity = Part("failed", "unknown"),
            });
        }

        foreach (var meterReadings in readings)
        {
            var kind = (MeterKind)meterReadings.OrderBy(r => r.ObservedAt).Last().Kind;
            var inPeriod = meterReadings.Where(r => r.BucketStart >= from).ToList();
            var value = kind switch
            {
                MeterKind.Max => inPeriod.Count == 0 ? 0 : inPeriod.Max(r => r.Value),
                MeterKind.LastEver => meterReadings.MaxBy(r => r.ObservedAt)!.Value,
                _ => inPeriod.Count == 0 ? 0 : inPeriod.MaxBy(r => r.ObservedAt)!.Value,
            };
            if (kind != MeterKind.LastEver && inPeriod.Count == 0)
            {
                continue;
            }

            var latest = await queries.LatestReportAsync(meterReadings.Key, cancellationToken).ConfigureAwait(false);
            var status = latest is { } report && report.Quantity == value ? report.Status : "pending";
            result.Add(new MeterUsage(meterReadings.Key, value)
            {
                Kind = kind,
                SentQuantity = status == "sent" ? value : 0,
                PendingQuantity = status == "pending" ? value : 0,
                SkippedQuantity = status == "skipped" ? value : 0,
                FailedQuantity = status is "failed" or "unknown" ? value : 0,
            });
        }

        if (result.Count > 1)
        {
            result.Sort((a, b) => string.CompareOrdinal(a.Meter, b.Meter));
        }

        return result;
    }

    /// <summary>Reads one gauge meter's buckets for a chart: each bucket's value, all of it reported once a close took it in.</summary>
    public static async Task<IReadOnlyList<UsageBucket>> ReadGaugeSeriesAsync(
        DbConnection connection, GaugeSql gauges, string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<GaugeRow>(new CommandDefinition(
            gauges.PeriodRows, UsageReads.PeriodParameters(account, periodStart, periodEnd, meter), cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new UsageBucket(UnixTime.FromSeconds(r.BucketStart), r.Value, r.Reported != 0 ? r.Value : 0)).ToList();
    }

    private static long Join(IEnumerable<(string Meter, string Status, long High, long Low)> parts, string meter, string account)
    {
        Int128 total = 0;
        foreach (var part in parts)
        {
            total += ((Int128)part.High << 20) + part.Low;
        }

        if (total > long.MaxValue)
        {
            throw new OverflowException(string.Create(
                CultureInfo.InvariantCulture,
                $"The reported usage of account '{account}', meter '{meter}' over the period is {total}, more than a total can hold ({long.MaxValue}); read shorter periods and add them up."));
        }

        return (long)total;
    }
}

/// <summary>
/// The queries of one totals read (<see cref="UsageTotals.ReadAsync(TotalsQueries, string, DateTimeOffset, CancellationToken)"/>),
/// bound to an account, a period and a meter filter, and run by the store in one snapshot.
/// </summary>
internal abstract class TotalsQueries
{
    /// <summary>Reads the counter totals per meter (exact past <see cref="long.MaxValue"/>: refused with an <see cref="OverflowException"/>).</summary>
    public abstract Task<IReadOnlyList<(string Meter, long Quantity, long Reported)>> CountersAsync(CancellationToken cancellationToken);

    /// <summary>Reads the reports of the period's buckets by meter and status (<see cref="GaugeSql.ReportSplit"/>).</summary>
    public abstract Task<IReadOnlyList<(string Meter, string Status, long High, long Low)>> ReportSplitAsync(CancellationToken cancellationToken);

    /// <summary>Reads the period's gauge rows and the readings carried into it (<see cref="GaugeSql.PeriodAndCarriedRows"/>).</summary>
    public abstract Task<IReadOnlyList<GaugeRow>> GaugeRowsAsync(CancellationToken cancellationToken);

    /// <summary>Reads the latest report of one meter in the period (<see cref="GaugeSql.LatestReport"/>).</summary>
    public abstract Task<(long Timestamp, long Quantity, string Status)?> LatestReportAsync(string meter, CancellationToken cancellationToken);
}

/// <summary>The totals queries through Dapper on any connection, in the caller's transaction.</summary>
internal sealed class DapperTotalsQueries(
    DbConnection connection, DbTransaction transaction, CounterTotalsSql totals, GaugeSql gauges, string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter)
    : TotalsQueries
{
    private readonly object _parameters = UsageReads.PeriodParameters(account, periodStart, periodEnd, meter);

    public override async Task<IReadOnlyList<(string Meter, long Quantity, long Reported)>> CountersAsync(CancellationToken cancellationToken)
    {
        try
        {
            return UsageReads.ToTotals(await QueryAsync<(string Meter, decimal Quantity, decimal Reported)>(totals.Sums, cancellationToken).ConfigureAwait(false), account);
        }
        catch (DbException exception) when (totals.ExactSums is not null && totals.IsSumOverflow?.Invoke(exception) == true)
        {
            // Only a period whose total passes long.MaxValue gets here; the exact sums then say by how much, or fit.
            return UsageReads.ToTotalsWithReported(
                await QueryAsync<(string Meter, long QuantityHigh, long QuantityLow, long ReportedHigh, long ReportedLow)>(totals.ExactSums, cancellationToken).ConfigureAwait(false),
                account);
        }
    }

    public override async Task<IReadOnlyList<(string Meter, string Status, long High, long Low)>> ReportSplitAsync(CancellationToken cancellationToken) =>
        await QueryAsync<(string Meter, string Status, long High, long Low)>(gauges.ReportSplit, cancellationToken).ConfigureAwait(false);

    public override async Task<IReadOnlyList<GaugeRow>> GaugeRowsAsync(CancellationToken cancellationToken) =>
        await QueryAsync<GaugeRow>(gauges.PeriodAndCarriedRows, cancellationToken).ConfigureAwait(false);

    public override Task<(long Timestamp, long Quantity, string Status)?> LatestReportAsync(string meterName, CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<(long Timestamp, long Quantity, string Status)?>(new CommandDefinition(
            gauges.LatestReport,
            new { Account = account, Meter = meterName, From = UnixTime.CeilingSeconds(periodStart), To = UnixTime.CeilingSeconds(periodEnd) },
            transaction,
            cancellationToken: cancellationToken));

    private async Task<List<T>> QueryAsync<T>(string sql, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<T>(new CommandDefinition(sql, _parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
}
