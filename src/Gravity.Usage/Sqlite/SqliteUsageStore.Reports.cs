using Dapper;
using Gravity.Usage.Internal;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Sqlite;

/// <summary>The usage-report outbox on SQLite.</summary>
public sealed partial class SqliteUsageStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<UnreportedUsage>> GetUnreportedAsync(DateTimeOffset bucketsStartingBefore, string? account, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var rows = await QueryAsync<(string Account, string Meter, long BucketStart)>(
            _reportQueries.Unreported,
            new { Before = UnixTime.CeilingSeconds(bucketsStartingBefore), Account = account, Limit = limit },
            cancellationToken).ConfigureAwait(false);
        return rows.Select(r => new UnreportedUsage(r.Account, r.Meter, UnixTime.FromSeconds(r.BucketStart))).ToList();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UsageReport>> CloseAsync(IReadOnlyList<ReportClosing> closings, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(closings);
        return RunWriteAsync<IReadOnlyList<UsageReport>>(
            writer =>
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                var reports = CloseCounters(writer.Connection, transaction, closings, now);
                transaction.Commit();
                return reports;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UsageReport>> ClaimDueAsync(ReportClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return RunWriteAsync<IReadOnlyList<UsageReport>>(
            writer => writer.Connection.Query<ReportRow>(
                _reportQueries.ClaimDue,
                new
                {
                    claim.Owner,
                    Now = claim.Now.ToUnixTimeMilliseconds(),
                    LeaseExpiresAt = claim.LeaseExpiresAt.ToUnixTimeMilliseconds(),
                    claim.Account,
                    claim.Limit,
                }).Select(r => r.ToReport()).ToList(),
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(completions);
        return RunWriteAsync<IReadOnlyList<bool>>(
            writer =>
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                var applied = completions.Select(completion => writer.Connection.Execute(
                    _reportQueries.Complete,
                    new
                    {
                        completion.Id,
                        completion.Owner,
                        Status = ReportStatusText.Format(completion.Status),
                        Now = completion.Now.ToUnixTimeMilliseconds(),
                        completion.Error,
                        completion.RequestId,
                        NextAttemptAt = completion.NextAttemptAt?.ToUnixTimeMilliseconds(),
                        NotAttempted = completion.NotAttempted ? 1 : 0,
                        RotateKey = completion.RotateIdempotencyKey ? 1 : 0,
                    },
                    transaction) == 1).ToList();
                transaction.Commit();
                return applied;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageReport>> ListReportsAsync(UsageReportQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var rows = await QueryAsync<ReportRow>(_reportQueries.List, QueryParameters(query), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.ToReport()).ToList();
    }

    /// <inheritdoc />
    public Task<int> RedriveAsync(UsageReportQuery query, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new DynamicParameters(QueryParameters(query));
        parameters.Add("Now", now.ToUnixTimeMilliseconds());
        return RunWriteAsync(writer => writer.Connection.Execute(_reportQueries.Redrive, parameters), cancellationToken);
    }

    private static object QueryParameters(UsageReportQuery query) => new
    {
        Status = query.Status is { } status ? ReportStatusText.Format(status) : null,
        query.Account,
        query.Id,
        query.AfterId,
        query.Limit,
    };

    /// <summary>
    /// Moves each counter's growth into a report inside the caller's transaction. The counter is read again here, so
    /// usage added since it was found is included, and the identifier is derived from the quantity reported before.
    /// </summary>
    private List<UsageReport> CloseCounters(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<ReportClosing> closings, DateTimeOffset now)
    {
        var reports = new List<UsageReport>();
        foreach (var closing in closings)
        {
            var bucketStart = closing.BucketStart.ToUnixTimeSeconds();
            var key = new { closing.Account, closing.Meter, BucketStart = bucketStart };
            var counter = connection.QueryFirstOrDefault<(long Quantity, long ReportedQuantity)?>(_reportQueries.CounterForClose, key, transaction);
            if (counter is not { } current || current.Quantity <= current.ReportedQuantity)
            {
                continue;
            }

            var skipReason = closing.ApplyStoredPlan
                ? BillingPlan.SkipReason(StoredPlan(connection, transaction, closing.Account), closing.BucketEnd)
                : closing.SkipReason;
            var row = connection.QuerySingle<ReportRow>(
                _reportQueries.InsertReport,
                new
                {
                    Identifier = ReportIdentifier.Create(closing.Account, closing.Meter, bucketStart, current.ReportedQuantity),
                    closing.Account,
                    closing.Meter,
                    BucketStart = bucketStart,
                    Quantity = current.Quantity - current.ReportedQuantity,
                    Status = ReportStatusText.Format(skipReason is null ? UsageReportStatus.Pending : UsageReportStatus.Skipped),
                    SkipReason = skipReason,
                    Now = now.ToUnixTimeMilliseconds(),
                },
                transaction);
            connection.Execute(
                _reportQueries.MarkCounterReported,
                new { closing.Account, closing.Meter, BucketStart = bucketStart, current.Quantity, ReportedBefore = current.ReportedQuantity },
                transaction);
            reports.Add(row.ToReport());
        }

        return reports;
    }

    /// <summary>The account's plan as stored now, read inside the caller's transaction.</summary>
    private UsageAccount? StoredPlan(SqliteConnection connection, SqliteTransaction transaction, string account)
    {
        var plan = connection.QueryFirstOrDefault<(bool Billable, long? BillableSince)?>(_reportQueries.GetPlan, new { Account = account }, transaction);
        return plan is { } p ? new UsageAccount(account) { Billable = p.Billable, BillableSince = UnixTimeOrNull(p.BillableSince) } : null;
    }
}
