using Dapper;
using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>The usage-report outbox on SQLite.</summary>
public sealed partial class SqliteUsageStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<UnreportedUsage>> GetUnreportedAsync(DateTimeOffset bucketsStartingBefore, string? account, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var parameters = UsageReads.UnreportedParameters(bucketsStartingBefore, account, limit);
        var rows = await QueryAsync<(string Account, string Meter, long BucketStart)>(_reportQueries.Unreported, parameters, cancellationToken).ConfigureAwait(false);
        var gauges = await QueryAsync<(string Account, string Meter, long BucketStart)>(_reportQueries.Gauges.Unreported, parameters, cancellationToken).ConfigureAwait(false);

        // Counters and gauge buckets together, oldest bucket first, as one list would have them.
        return UsageReads.ToUnreported(gauges.Count == 0 ? rows : rows.Concat(gauges).OrderBy(r => r.BucketStart).Take(limit));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CarriedGauge>> GetCarriedGaugesAsync(string? account, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync<(string Account, string Meter, long? LastReportedAt)>(_reportQueries.Gauges.CarriedMeters, new { Account = account }, cancellationToken).ConfigureAwait(false);
        return rows.Select(r => new CarriedGauge(r.Account, r.Meter, r.LastReportedAt is { } at ? DateTimeOffset.FromUnixTimeSeconds(at) : null)).ToList();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UsageReport>> CloseAsync(IReadOnlyList<ReportClosing> closings, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(closings);
        return RunWriteTransactionAsync<IReadOnlyList<UsageReport>>(
            async (connection, transaction) => await ReportClosings.CloseAsync(connection, transaction, _reportQueries, closings, now, CancellationToken.None).ConfigureAwait(false),
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
        var rows = await QueryAsync<ReportRow>(_reportQueries.List, ReportQueryParameters.For(query), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.ToReport()).ToList();
    }

    /// <inheritdoc />
    public Task<int> RedriveAsync(UsageReportQuery query, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new DynamicParameters(ReportQueryParameters.For(query));
        parameters.Add("Now", now.ToUnixTimeMilliseconds());
        return RunWriteTransactionAsync(
            (connection, transaction) =>
            {
                connection.Execute(_reportQueries.ForgetMappingOfRedriven, parameters, transaction);
                return Task.FromResult(connection.Execute(_reportQueries.Redrive, parameters, transaction));
            },
            cancellationToken);
    }
}
