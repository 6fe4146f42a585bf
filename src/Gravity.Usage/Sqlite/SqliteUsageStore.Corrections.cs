using Dapper;
using Gravity.Usage.Internal;
using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>Corrections on SQLite: each in an immediate transaction of its own on the write connection.</summary>
public sealed partial class SqliteUsageStore : IUsageCorrectionStore
{
    private CorrectionSql CorrectionSql => field ??= new CorrectionSql(_prefix, lockRows: string.Empty, claimLock: string.Empty, static (name, _) => "@" + name);

    /// <inheritdoc />
    Task<CorrectionResult> IUsageCorrectionStore.CorrectAsync(CorrectionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        UsageRules.ValidateAccount(request.Account, nameof(request));
        return RunWriteTransactionAsync(
            (connection, transaction) => CorrectionWrites.ApplyAsync(connection, transaction, _reportQueries, CorrectionSql, request, CancellationToken.None),
            cancellationToken);
    }

    /// <inheritdoc />
    async Task<IReadOnlyList<UsageCorrection>> IUsageCorrectionStore.ListCorrectionsAsync(UsageCorrectionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var rows = await QueryAsync<CorrectionRow>(CorrectionSql.ListCorrections, CorrectionQueryParameters.For(query), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.ToCorrection()).ToList();
    }

    /// <inheritdoc />
    Task<IReadOnlyList<ReportCancellation>> IUsageCorrectionStore.ClaimCancellationsAsync(ReportClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return RunWriteAsync<IReadOnlyList<ReportCancellation>>(
            writer =>
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                var claimed = writer.Connection.Query<ReportRow>(CorrectionSql.ClaimCancellations, CorrectionQueryParameters.For(claim), transaction)
                    .OrderBy(r => r.Id)
                    .Select(r => new ReportCancellation(
                        r.ToReport(),
                        writer.Connection.QuerySingle<ReportRow>(CorrectionSql.TargetOf, new { r.Id }, transaction).ToReport()))
                    .ToList();
                transaction.Commit();
                return claimed;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    Task<UsageReport?> IUsageCorrectionStore.CompleteCancellationAsync(UsageReport target, DateTimeOffset now, string? requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return RunWriteTransactionAsync(
            (connection, transaction) => CorrectionWrites.CompleteCancellationAsync(connection, transaction, _reportQueries, CorrectionSql, target, now, requestId, CancellationToken.None),
            cancellationToken);
    }

    /// <inheritdoc />
    Task<IReadOnlyList<bool>> IUsageCorrectionStore.CompleteCorrectionReportsAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        return RunWriteAsync<IReadOnlyList<bool>>(
            writer =>
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                var applied = completions
                    .Select(c => writer.Connection.Execute(CorrectionSql.CompleteCorrectionReport, CorrectionQueryParameters.For(c), transaction) == 1)
                    .ToList();
                transaction.Commit();
                return applied;
            },
            cancellationToken);
    }
}
