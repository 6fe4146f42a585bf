using System.Data.Common;
using Dapper;

namespace Gravity.Usage.Sql;

/// <summary>Reconciliation's status changes as both stores make them, inside the caller's transaction.</summary>
internal static class ReconciliationWrites
{
    public static object PeriodParameters(DateTimeOffset from, DateTimeOffset to, string? account) =>
        new { From = from.ToUnixTimeSeconds(), To = to.ToUnixTimeSeconds(), Account = account };

    public static async Task<bool> MarkUnknownSentAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, long reportId, DateTimeOffset now, string note, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            sql.MarkUnknownSent, new { Id = reportId, Now = now.ToUnixTimeMilliseconds(), Note = note }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;

    /// <summary>
    /// Marks the reports each rejection names failed: an unknown one, or a sent one delivered before the rejection was
    /// found (a report re-driven and sent again later stays sent). Each change applies only while the report is in the
    /// status and re-drive it was judged in.
    /// </summary>
    public static async Task<IReadOnlyList<UsageReport>> MarkRejectedAsync(
        DbConnection connection, DbTransaction transaction, CorrectionSql sql, IReadOnlyList<UsageRejection> rejections, string? account, CancellationToken cancellationToken)
    {
        var marked = new List<UsageReport>();
        foreach (var rejection in rejections)
        {
            var rows = await connection.QueryAsync<ReportRow>(new CommandDefinition(
                sql.ReportsByIdentifier, new { rejection.Identifier, Account = account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var row in rows)
            {
                if (!IsRejected(row, rejection))
                {
                    continue;
                }

                var changed = await connection.ExecuteAsync(new CommandDefinition(
                    sql.MarkRejected,
                    new { row.Id, row.Status, row.RedriveCount, rejection.Reason },
                    transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (changed == 1)
                {
                    marked.Add(row.ToReport());
                }
            }
        }

        return marked;
    }

    /// <summary>
    /// How long after the end of a validation window a rejected event's delivery may still have been recorded as sent:
    /// the answer of a request received inside the window can take this long to come back and be recorded.
    /// </summary>
    private static readonly TimeSpan RecordingSlack = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Whether the report's current delivery began after the validation window ended: a re-drive keeps the identifier
    /// and clears the first attempt, which is recorded before anything is sent, so such a rejection is of an earlier
    /// delivery, and the one Stripe counted since must stay sent.
    /// </summary>
    private static bool IsFirstAttemptedAfter(ReportRow row, DateTimeOffset rejectedBy) =>
        row.FirstAttemptAt is { } first && DateTimeOffset.FromUnixTimeMilliseconds(first) > rejectedBy;

    private static bool IsRejected(ReportRow row, UsageRejection rejection) => ReportStatusText.Parse(row.Status) switch
    {
        UsageReportStatus.Unknown => true,
        UsageReportStatus.Sent => row.SentAt is null || rejection.RejectedBy is null
            || (DateTimeOffset.FromUnixTimeMilliseconds(row.SentAt.Value) <= rejection.RejectedBy.Value + RecordingSlack
                && !IsFirstAttemptedAfter(row, rejection.RejectedBy.Value)),
        _ => false,
    };
}
