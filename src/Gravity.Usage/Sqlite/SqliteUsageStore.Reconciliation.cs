using Gravity.Usage.Internal;
using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>Reconciliation on SQLite: each change in an immediate transaction of its own on the write connection.</summary>
public sealed partial class SqliteUsageStore : IUsageReconciliationStore
{
    /// <inheritdoc />
    async Task<IReadOnlyList<UsageReport>> IUsageReconciliationStore.ListReportsInPeriodAsync(DateTimeOffset periodStart, DateTimeOffset periodEnd, string? account, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<ReportRow>(CorrectionSql.ReportsInPeriod, ReconciliationWrites.PeriodParameters(periodStart, periodEnd, account), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.ToReport()).ToList();
    }

    /// <inheritdoc />
    Task<bool> IUsageReconciliationStore.MarkUnknownSentAsync(long reportId, DateTimeOffset now, string note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(note);
        return RunWriteTransactionAsync(
            (connection, transaction) => ReconciliationWrites.MarkUnknownSentAsync(connection, transaction, CorrectionSql, reportId, now, note, CancellationToken.None),
            cancellationToken);
    }

    /// <inheritdoc />
    Task<UsageReport?> IUsageReconciliationStore.ResendUnknownAsync(long reportId, string newIdentifier, DateTimeOffset now, string note, CancellationToken cancellationToken)
    {
        if (UsageInput.CheckReportIdentifier(newIdentifier, nameof(newIdentifier)) is { } problem)
        {
            throw problem;
        }

        ArgumentNullException.ThrowIfNull(note);
        return RunWriteTransactionAsync(
            (connection, transaction) => CorrectionWrites.ReplaceUnknownAsync(connection, transaction, _reportQueries, CorrectionSql, reportId, newIdentifier, now, note, CancellationToken.None),
            cancellationToken);
    }

    /// <inheritdoc />
    Task<IReadOnlyList<UsageReport>> IUsageReconciliationStore.MarkRejectedAsync(IReadOnlyList<UsageRejection> rejections, string? account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejections);
        return RunWriteTransactionAsync(
            (connection, transaction) => ReconciliationWrites.MarkRejectedAsync(connection, transaction, CorrectionSql, rejections, account, CancellationToken.None),
            cancellationToken);
    }
}
