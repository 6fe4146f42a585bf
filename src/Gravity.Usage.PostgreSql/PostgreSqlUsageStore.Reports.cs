using Dapper;
using Gravity.Usage.Sql;

namespace Gravity.Usage.PostgreSql;

/// <summary>The usage-report outbox on PostgreSQL.</summary>
public sealed partial class PostgreSqlUsageStore
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
    public async Task<IReadOnlyList<UsageReport>> CloseAsync(IReadOnlyList<ReportClosing> closings, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(closings);
        return await InTransactionAsync<IReadOnlyList<UsageReport>>(
            async (connection, transaction) => await ReportClosings.CloseAsync(connection, transaction, _reportQueries, closings, now, cancellationToken).ConfigureAwait(false),
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
        var rows = await QueryAsync<ReportRow>(_reportQueries.List, ReportQueryParameters.For(query), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.ToReport()).ToList();
    }

    /// <inheritdoc />
    public async Task<int> RedriveAsync(UsageReportQuery query, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new DynamicParameters(ReportQueryParameters.For(query));
        parameters.Add("Now", now.ToUnixTimeMilliseconds());
        return await InTransactionAsync(
            async (connection, transaction) =>
            {
                await connection.ExecuteAsync(new CommandDefinition(_reportQueries.ForgetMappingOfRedriven, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                return await connection.ExecuteAsync(new CommandDefinition(_reportQueries.Redrive, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }
}
