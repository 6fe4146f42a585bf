using Dapper;
using Gravity.Usage.Internal;
using Gravity.Usage.Sqlite;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>The usage-report outbox on PostgreSQL.</summary>
public sealed partial class PostgreSqlUsageStore
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
    public async Task<IReadOnlyList<UsageReport>> CloseAsync(IReadOnlyList<ReportClosing> closings, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(closings);
        return await InTransactionAsync<IReadOnlyList<UsageReport>>(
            async (connection, transaction) => await CloseCountersAsync(connection, transaction, closings, now, cancellationToken).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageReport>> ClaimDueAsync(ReportClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return await InTransactionAsync<IReadOnlyList<UsageReport>>(
            async (connection, transaction) =>
            {
                var rows = await connection.QueryAsync<ReportRow>(new CommandDefinition(
                    _reportQueries.ClaimDue,
                    new
                    {
                        claim.Owner,
                        Now = claim.Now.ToUnixTimeMilliseconds(),
                        LeaseExpiresAt = claim.LeaseExpiresAt.ToUnixTimeMilliseconds(),
                        claim.Account,
                        claim.Limit,
                    },
                    transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);

                // RETURNING follows no ORDER BY; hand reports out in the order they were due, as SQLite does.
                return rows.OrderBy(r => r.NextAttemptAt).ThenBy(r => r.Id).Select(r => r.ToReport()).ToList();
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(completions);
        return await InTransactionAsync<IReadOnlyList<bool>>(
            async (connection, transaction) =>
            {
                var applied = new List<bool>(completions.Count);
                foreach (var completion in completions)
                {
                    var rows = await connection.ExecuteAsync(new CommandDefinition(
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
                        transaction,
                        cancellationToken: cancellationToken)).ConfigureAwait(false);
                    applied.Add(rows == 1);
                }

                return applied;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageReport>> ListReportsAsync(UsageReportQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var rows = await QueryAsync<ReportRow>(_reportQueries.List, QueryParameters(query), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.ToReport()).ToList();
    }

    /// <inheritdoc />
    public async Task<int> RedriveAsync(UsageReportQuery query, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new DynamicParameters(QueryParameters(query));
        parameters.Add("Now", now.ToUnixTimeMilliseconds());
        return await InTransactionAsync(
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(_reportQueries.Redrive, parameters, transaction, cancellationToken: cancellationToken)),
            cancellationToken).ConfigureAwait(false);
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
    /// Moves each counter's growth into a report inside the caller's transaction. The counter row is locked and read
    /// again here, so usage added since it was found is included, a concurrent closer of the same counter waits and then
    /// finds nothing new, and the identifier is derived from the quantity reported before.
    /// </summary>
    private async Task<List<UsageReport>> CloseCountersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<ReportClosing> closings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reports = new List<UsageReport>();

        // Counters locked in the order writers lock them (account, bucket, meter; see PostgreSqlBatchWriter), so that a
        // close running beside group commits of other processes cannot deadlock with them.
        var ordered = closings
            .OrderBy(c => c.Account, StringComparer.Ordinal)
            .ThenBy(c => c.BucketStart)
            .ThenBy(c => c.Meter, StringComparer.Ordinal);
        foreach (var closing in ordered)
        {
            var bucketStart = closing.BucketStart.ToUnixTimeSeconds();
            var key = new { closing.Account, closing.Meter, BucketStart = bucketStart };
            var counter = await connection.QueryFirstOrDefaultAsync<(long Quantity, long ReportedQuantity)?>(
                new CommandDefinition(_reportQueries.CounterForClose, key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (counter is not { } current || current.Quantity <= current.ReportedQuantity)
            {
                continue;
            }

            var skipReason = closing.ApplyStoredPlan
                ? BillingPlan.SkipReason(await StoredPlanAsync(connection, transaction, closing.Account, cancellationToken).ConfigureAwait(false), closing.BucketEnd)
                : closing.SkipReason;
            var row = await connection.QuerySingleAsync<ReportRow>(new CommandDefinition(
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
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                _reportQueries.MarkCounterReported,
                new { closing.Account, closing.Meter, BucketStart = bucketStart, current.Quantity, ReportedBefore = current.ReportedQuantity },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            reports.Add(row.ToReport());
        }

        return reports;
    }

    /// <summary>The account's plan as stored now, read inside the caller's transaction.</summary>
    private async Task<UsageAccount?> StoredPlanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string account, CancellationToken cancellationToken)
    {
        var plan = await connection.QueryFirstOrDefaultAsync<(bool Billable, long? BillableSince)?>(
            new CommandDefinition(_reportQueries.GetPlan, new { Account = account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return plan is { } p ? new UsageAccount(account) { Billable = p.Billable, BillableSince = UnixTimeOrNull(p.BillableSince) } : null;
    }
}
