using Dapper;
using Gravity.Usage.Internal;
using Gravity.Usage.Sql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// Corrections on PostgreSQL: each in a transaction of its own, locking the counter first and then its reports, in
/// the order the batch writer and the close lock counters, so that it cannot deadlock with them.
/// </summary>
public sealed partial class PostgreSqlUsageStore : IUsageCorrectionStore
{
    private CorrectionSql CorrectionSql => field ??= new CorrectionSql(
        _queries.Schema + ".",
        lockRows: "FOR UPDATE",
        claimLock: "FOR UPDATE OF a SKIP LOCKED",
        static (name, type) => $"@{name}::{type}");

    /// <inheritdoc />
    async Task<CorrectionResult> IUsageCorrectionStore.CorrectAsync(CorrectionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (UsageInput.CheckAccount(request.Account) is { } problem)
        {
            throw new UsageInputException(problem.Message, nameof(request));
        }

        return await InTransactionAsync(
            (connection, transaction) => CorrectionWrites.ApplyAsync(connection, transaction, _reportQueries, CorrectionSql, request, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    async Task<IReadOnlyList<UsageCorrection>> IUsageCorrectionStore.ListCorrectionsAsync(UsageCorrectionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var rows = await QueryAsync<CorrectionRow>(CorrectionSql.ListCorrections, CorrectionQueryParameters.For(query), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.ToCorrection()).ToList();
    }

    /// <inheritdoc />
    async Task<IReadOnlyList<ReportCancellation>> IUsageCorrectionStore.ClaimCancellationsAsync(ReportClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return await InTransactionAsync<IReadOnlyList<ReportCancellation>>(
            async (connection, transaction) =>
            {
                var rows = await connection.QueryAsync<ReportRow>(new CommandDefinition(
                    CorrectionSql.ClaimCancellations, CorrectionQueryParameters.For(claim), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var claimed = new List<ReportCancellation>();
                foreach (var row in rows.OrderBy(r => r.Id))
                {
                    var target = await connection.QuerySingleAsync<ReportRow>(new CommandDefinition(
                        CorrectionSql.TargetOf, new { row.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    claimed.Add(new ReportCancellation(row.ToReport(), target.ToReport()));
                }

                return claimed;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    async Task<UsageReport?> IUsageCorrectionStore.CompleteCancellationAsync(UsageReport target, DateTimeOffset now, string? requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return await InTransactionAsync(
            (connection, transaction) => CorrectionWrites.CompleteCancellationAsync(connection, transaction, _reportQueries, CorrectionSql, target, now, requestId, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    async Task<IReadOnlyList<bool>> IUsageCorrectionStore.CompleteCorrectionReportsAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        return await InTransactionAsync<IReadOnlyList<bool>>(
            async (connection, transaction) =>
            {
                var applied = new List<bool>(completions.Count);
                foreach (var completion in completions)
                {
                    applied.Add(await connection.ExecuteAsync(new CommandDefinition(
                        CorrectionSql.CompleteCorrectionReport, CorrectionQueryParameters.For(completion), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1);
                }

                return applied;
            },
            cancellationToken).ConfigureAwait(false);
    }
}
