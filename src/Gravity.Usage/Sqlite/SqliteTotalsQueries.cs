using Gravity.Usage.Internal;
using Gravity.Usage.Sql;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// The totals read's queries on a read session's prepared commands, read column by column: the same texts and rows as
/// <see cref="DapperTotalsQueries"/>, without compiling the statements and building Dapper's mapping on every read.
/// </summary>
internal sealed class SqliteTotalsQueries : TotalsQueries
{
    private readonly SqliteReadSession _session;
    private readonly SqliteTransaction _transaction;
    private readonly CounterTotalsSql _totals;
    private readonly GaugeSql _gauges;
    private readonly string _account;

    public SqliteTotalsQueries(
        SqliteReadSession session, SqliteTransaction transaction, CounterTotalsSql totals, GaugeSql gauges, string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter)
    {
        _session = session;
        _transaction = transaction;
        _totals = totals;
        _gauges = gauges;
        _account = account;
        session.Account.Value = account;
        session.From.Value = UnixTime.CeilingSeconds(periodStart);
        session.To.Value = UnixTime.CeilingSeconds(periodEnd);
        session.Meter.Value = (object?)meter ?? DBNull.Value;
    }

    public override Task<IReadOnlyList<(string Meter, long Quantity, long Reported)>> CountersAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var rows = new List<(string Meter, long Quantity, long Reported)>(1);
        try
        {
            using var reader = _session.Command(_totals.Sums, _transaction).ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }
        catch (SqliteException exception) when (_totals.ExactSums is not null && _totals.IsSumOverflow?.Invoke(exception) == true)
        {
            // Only a period whose total passes long.MaxValue gets here; the exact sums then say by how much, or fit.
            var split = new List<(string Meter, long QuantityHigh, long QuantityLow, long ReportedHigh, long ReportedLow)>();
            using var reader = _session.Command(_totals.ExactSums, _transaction).ExecuteReader();
            while (reader.Read())
            {
                split.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
            }

            return Task.FromResult(UsageReads.ToTotalsWithReported(split, _account));
        }

        return Task.FromResult<IReadOnlyList<(string Meter, long Quantity, long Reported)>>(rows);
    }

    public override Task<IReadOnlyList<(string Meter, string Status, long High, long Low)>> ReportSplitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var rows = new List<(string Meter, string Status, long High, long Low)>();
        using var reader = _session.Command(_gauges.ReportSplit, _transaction).ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return Task.FromResult<IReadOnlyList<(string Meter, string Status, long High, long Low)>>(rows);
    }

    public override Task<IReadOnlyList<GaugeRow>> GaugeRowsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var rows = new List<GaugeRow>();
        using var reader = _session.Command(_gauges.PeriodAndCarriedRows, _transaction).ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new GaugeRow
            {
                Meter = reader.GetString(0),
                Kind = reader.GetInt64(1),
                BucketStart = reader.GetInt64(2),
                Value = reader.GetInt64(3),
                ObservedAt = reader.GetInt64(4),
                Reported = reader.GetInt64(5),
            });
        }

        return Task.FromResult<IReadOnlyList<GaugeRow>>(rows);
    }

    public override Task<(long Timestamp, long Quantity, string Status)?> LatestReportAsync(string meter, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The session's meter parameter is the read's filter (maybe all meters); this query names one meter.
        var filter = _session.Meter.Value;
        _session.Meter.Value = meter;
        try
        {
            using var reader = _session.Command(_gauges.LatestReport, _transaction).ExecuteReader();
            return Task.FromResult<(long Timestamp, long Quantity, string Status)?>(
                reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)) : null);
        }
        finally
        {
            _session.Meter.Value = filter;
        }
    }
}
