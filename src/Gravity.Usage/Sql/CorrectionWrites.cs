using System.Data.Common;
using System.Globalization;
using Dapper;

namespace Gravity.Usage.Sql;

/// <summary>Applies corrections and completes their cancellations as both stores do, inside the caller's transaction.</summary>
internal static partial class CorrectionWrites
{
    /// <summary>
    /// Applies <paramref name="request"/> inside the caller's transaction. Every refusal is found before anything is
    /// written, so a refused correction leaves the transaction empty.
    /// </summary>
    /// <remarks>
    /// A negative delta takes, in this order: usage not yet closed into reports; reports the billing back end cannot
    /// have (pending and never attempted, or skipped), newest first, which are cancelled here and replaced by their
    /// remainder under a new identifier; then reports it may have (sent, attempted, failed or unknown), newest first,
    /// from each of which a <see cref="UsageReportStatus.Cancelling"/> report takes the amount for the reporter to
    /// cancel and resend, or park as needing a credit.
    /// </remarks>
    public static async Task<CorrectionResult> ApplyAsync(DbConnection connection, DbTransaction transaction, LedgerSql ledger, CorrectionSql sql, CorrectionRequest request, CancellationToken cancellationToken)
    {
        var counterKey = new { request.Account, request.Meter, BucketStart = request.BucketStart.ToUnixTimeSeconds() };
        if (await FindAsync(connection, transaction, sql, request, cancellationToken).ConfigureAwait(false) is { } repeat)
        {
            return repeat;
        }

        // The counter first, locked where the store locks rows, as writers and closes lock counters: a correction waits
        // behind them and they behind it, and it cannot deadlock with them. A positive correction may make the counter.
        var counter = await LockCounterAsync(connection, transaction, sql, counterKey, cancellationToken).ConfigureAwait(false);
        if (counter is null && request.Delta > 0)
        {
            await ExecuteAsync(connection, transaction, sql.InsertEmptyCounter, counterKey, cancellationToken).ConfigureAwait(false);
            counter = await LockCounterAsync(connection, transaction, sql, counterKey, cancellationToken).ConfigureAwait(false);
        }

        // Looked for again once the counter is locked: a correction of it under the same key has committed by now.
        if (await FindAsync(connection, transaction, sql, request, cancellationToken).ConfigureAwait(false) is { } raced)
        {
            return raced;
        }

        var (quantity, reported) = counter ?? (0, 0);
        if (request.Delta > 0)
        {
            if (quantity > UsageBillingOptions.MaxCounterQuantity - request.Delta)
            {
                return new CorrectionResult(CorrectionOutcome.WouldOverflow, null, quantity);
            }

            var added = await InsertCorrectionAsync(connection, transaction, sql, request, request.Delta, 0, cancellationToken).ConfigureAwait(false);
            await SetCounterAsync(connection, transaction, sql, request, quantity + request.Delta, reported, cancellationToken).ConfigureAwait(false);
            return new CorrectionResult(CorrectionOutcome.Applied, await ReadAsync(connection, transaction, sql, added, cancellationToken).ConfigureAwait(false));
        }

        var take = -request.Delta;
        if (take > quantity)
        {
            return new CorrectionResult(CorrectionOutcome.BelowZero, null, quantity);
        }

        var fromUnreported = Math.Min(take, quantity - reported);
        var (local, remote) = await PlanAsync(connection, transaction, sql, counterKey, take - fromUnreported, cancellationToken).ConfigureAwait(false);
        var id = await InsertCorrectionAsync(connection, transaction, sql, request, -fromUnreported, local.Sum(p => p.Take), cancellationToken).ConfigureAwait(false);
        foreach (var (report, part) in local)
        {
            // Corrections already waiting on the report are applied with it: it is never sent as it was.
            var waiting = await ApplyWaitingAsync(connection, transaction, sql, report, "Applied: the report was taken back before it was sent.", null, cancellationToken).ConfigureAwait(false);
            await ReplaceAsync(
                connection,
                transaction,
                ledger,
                sql,
                report,
                report.Quantity - part - waiting,
                string.Create(CultureInfo.InvariantCulture, $"Correction {id} took {part} back before the report was sent."),
                request.Now,
                null,
                cancellationToken).ConfigureAwait(false);
        }

        foreach (var (report, part) in remote)
        {
            var cancelling = await InsertReportAsync(
                connection,
                transaction,
                ledger,
                report,
                ReportIdentifier.ForCorrection(id, report.Identifier),
                part,
                UsageReportStatus.Cancelling,
                string.Create(CultureInfo.InvariantCulture, $"Correction {id} takes {part} off report {report.Identifier}: the reporter cancels its event and sends the rest again, or parks this amount as needing a credit."),
                request.Now,
                cancellationToken).ConfigureAwait(false);
            await LinkAsync(connection, transaction, sql, cancelling, report.Id, id, cancellationToken).ConfigureAwait(false);
        }

        await SetCounterAsync(connection, transaction, sql, request, quantity - take, reported - (take - fromUnreported), cancellationToken).ConfigureAwait(false);
        return new CorrectionResult(CorrectionOutcome.Applied, await ReadAsync(connection, transaction, sql, id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Records that the billing back end cancelled <paramref name="target"/>, inside the caller's transaction: the
    /// report and every correction waiting on it become cancelled, and the rest becomes a new pending report.
    /// </summary>
    /// <returns>The new report, or <see langword="null"/> when nothing is left or the report is no longer sent (another reporter completed it).</returns>
    public static async Task<UsageReport?> CompleteCancellationAsync(DbConnection connection, DbTransaction transaction, LedgerSql ledger, CorrectionSql sql, UsageReport target, DateTimeOffset now, string? requestId, CancellationToken cancellationToken)
    {
        // The counter first, then the report: the order corrections lock in.
        var counterKey = new { target.Account, target.Meter, BucketStart = target.BucketStart.ToUnixTimeSeconds() };
        await connection.QueryFirstOrDefaultAsync<(long, long)?>(new CommandDefinition(sql.CounterForCorrection, counterKey, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = await connection.QueryFirstOrDefaultAsync<ReportRow>(new CommandDefinition(sql.ReportForUpdate, new { target.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (current is null || ReportStatusText.Parse(current.Status) != UsageReportStatus.Sent)
        {
            return null;
        }

        // Every correction waiting on the report is satisfied by the cancellation, also one made while it was in flight;
        // amounts already parked as needing a credit stay parked, and the host's credit covers them.
        var waiting = await ApplyWaitingAsync(
            connection, transaction, sql, current, $"Applied: the billing back end cancelled report {current.Identifier} and the rest was sent again.", requestId, cancellationToken).ConfigureAwait(false);
        return await ReplaceAsync(
            connection,
            transaction,
            ledger,
            sql,
            current,
            current.Quantity - waiting,
            "Cancelled at the billing back end for a correction; what is left was sent again as a new report.",
            now,
            requestId,
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task<CorrectionResult?> FindAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, CorrectionRequest request, CancellationToken cancellationToken)
    {
        var existing = await connection.QueryFirstOrDefaultAsync<CorrectionRow>(new CommandDefinition(
            sql.CorrectionByKey, new { request.Account, request.IdempotencyKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return existing is null ? null : new CorrectionResult(CorrectionOutcome.Repeat, existing.ToCorrection(isRepeat: true));
    }

    private static Task<(long Quantity, long ReportedQuantity)?> LockCounterAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, object counterKey, CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<(long Quantity, long ReportedQuantity)?>(
            new CommandDefinition(sql.CounterForCorrection, counterKey, transaction, cancellationToken: cancellationToken));

    /// <summary>Marks the cancelling reports waiting on <paramref name="target"/> as applied (cancelled); returns what they took.</summary>
    private static async Task<long> ApplyWaitingAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, ReportRow target, string reason, string? requestId, CancellationToken cancellationToken)
    {
        var waiting = (await connection.QueryAsync<(long Id, long Quantity)>(new CommandDefinition(
            sql.WaitingOn, new { TargetId = target.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
        foreach (var (id, _) in waiting)
        {
            await CancelAsync(connection, transaction, sql, id, reason, requestId, cancellationToken).ConfigureAwait(false);
        }

        return waiting.Sum(w => w.Quantity);
    }

    /// <summary>Which reports a negative correction takes from, and how much from each.</summary>
    private static async Task<(List<(ReportRow Report, long Take)> Local, List<(ReportRow Report, long Take)> Remote)> PlanAsync(
        DbConnection connection, DbTransaction transaction, CorrectionSql sql, object counterKey, long left, CancellationToken cancellationToken)
    {
        var local = new List<(ReportRow, long)>();
        var remote = new List<(ReportRow, long)>();
        if (left == 0)
        {
            return (local, remote);
        }

        var reports = (await connection.QueryAsync<ReportRow>(new CommandDefinition(sql.ReportsOfCounter, counterKey, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
        var taken = (await connection.QueryAsync<(long TargetId, long Quantity)>(new CommandDefinition(sql.TakenFromReports, counterKey, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .GroupBy(t => t.TargetId)
            .ToDictionary(g => g.Key, g => g.Sum(t => t.Quantity));
        var candidates = reports
            .Select(r => (Report: r, Status: ReportStatusText.Parse(r.Status)))
            .Where(r => r.Status is not (UsageReportStatus.Cancelling or UsageReportStatus.NeedsCredit or UsageReportStatus.Cancelled))
            .OrderByDescending(r => r.Report.Id)
            .ToList();

        // Reports the back end cannot have first: taking from them costs nothing at the back end.
        foreach (var (report, status) in candidates.Where(c => IsLocal(c.Report, c.Status)))
        {
            // A report handed back unsent after a claim may carry corrections made while it was in flight.
            var part = Math.Min(left, report.Quantity - taken.GetValueOrDefault(report.Id));
            if (part <= 0)
            {
                continue;
            }

            local.Add((report, part));
            left -= part;
            if (left == 0)
            {
                return (local, remote);
            }
        }

        foreach (var (report, _) in candidates.Where(c => !IsLocal(c.Report, c.Status)))
        {
            var part = Math.Min(left, report.Quantity - taken.GetValueOrDefault(report.Id));
            if (part <= 0)
            {
                continue;
            }

            remote.Add((report, part));
            left -= part;
            if (left == 0)
            {
                return (local, remote);
            }
        }

        // The reported quantity is the sum of what the reports still bill, so this cannot happen unless the ledger was edited by hand.
        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The reports of the counter hold {left} less than its reported quantity says; the ledger is inconsistent and nothing was corrected."));
    }

    /// <summary>
    /// A report the billing back end cannot have: never attempted (so never leased either), or never to be sent. A
    /// re-driven report starts again at zero attempts, but an earlier attempt may have reached Stripe (it was parked as
    /// unknown), so it is never taken as local: it is cancelled at Stripe, or credited.
    /// </summary>
    private static bool IsLocal(ReportRow report, UsageReportStatus status) =>
        (status == UsageReportStatus.Pending && report.Attempts == 0 && report.RedriveCount == 0) || status == UsageReportStatus.Skipped;

    /// <summary>Cancels a report and, when something is left, adds a report of the rest under a new identifier, linked to it.</summary>
    private static async Task<UsageReport?> ReplaceAsync(
        DbConnection connection,
        DbTransaction transaction,
        LedgerSql ledger,
        CorrectionSql sql,
        ReportRow report,
        long rest,
        string reason,
        DateTimeOffset now,
        string? requestId,
        CancellationToken cancellationToken)
    {
        await CancelAsync(connection, transaction, sql, report.Id, reason, requestId, cancellationToken).ConfigureAwait(false);
        if (rest <= 0)
        {
            return null;
        }

        // A skipped report's rest stays skipped, for the same reason; any other rest is due for delivery now.
        var skipped = ReportStatusText.Parse(report.Status) == UsageReportStatus.Skipped;
        var replacement = await InsertReportAsync(
            connection,
            transaction,
            ledger,
            report,
            ReportIdentifier.Revise(report.Identifier),
            rest,
            skipped ? UsageReportStatus.Skipped : UsageReportStatus.Pending,
            skipped ? report.LastError : null,
            now,
            cancellationToken).ConfigureAwait(false);
        await LinkAsync(connection, transaction, sql, replacement, report.Id, null, cancellationToken).ConfigureAwait(false);
        return replacement;
    }

    private static async Task CancelAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, long id, string reason, string? requestId, CancellationToken cancellationToken) =>
        await ExecuteAsync(connection, transaction, sql.CancelReport, new { Id = id, Reason = reason, RequestId = requestId }, cancellationToken).ConfigureAwait(false);

    private static async Task<UsageReport> InsertReportAsync(
        DbConnection connection,
        DbTransaction transaction,
        LedgerSql ledger,
        ReportRow of,
        string identifier,
        long quantity,
        UsageReportStatus status,
        string? note,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<ReportRow>(new CommandDefinition(
            ledger.InsertReport,
            new
            {
                Identifier = identifier,
                of.Account,
                of.Meter,
                of.BucketStart,
                Quantity = quantity,
                Status = ReportStatusText.Format(status),
                SkipReason = note,
                Now = now.ToUnixTimeMilliseconds(),
            },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);

        // The replacement bills whom the report it replaces billed, whatever the account's mapping has become since.
        if (of.StripeCustomerId is not null || of.SubscriptionItemId is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                ledger.InsertReportMapping,
                new { ReportId = row.Id, of.StripeCustomerId, of.SubscriptionItemId },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            (row.StripeCustomerId, row.SubscriptionItemId) = (of.StripeCustomerId, of.SubscriptionItemId);
        }

        return row.ToReport();
    }

    private static async Task LinkAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, UsageReport report, long replacesId, long? correctionId, CancellationToken cancellationToken) =>
        await ExecuteAsync(connection, transaction, sql.InsertLink, new { ReportId = report.Id, ReplacesId = replacesId, CorrectionId = correctionId }, cancellationToken).ConfigureAwait(false);

    private static Task<long> InsertCorrectionAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, CorrectionRequest request, long fromUnreported, long fromUnsent, CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<long>(new CommandDefinition(
            sql.InsertCorrection,
            new
            {
                request.Account,
                request.Meter,
                BucketStart = request.BucketStart.ToUnixTimeSeconds(),
                request.Delta,
                request.Reason,
                request.IdempotencyKey,
                Now = request.Now.ToUnixTimeMilliseconds(),
                FromUnreported = fromUnreported,
                FromUnsent = fromUnsent,
            },
            transaction,
            cancellationToken: cancellationToken));

    private static async Task SetCounterAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, CorrectionRequest request, long quantity, long reported, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            connection,
            transaction,
            sql.SetCounter,
            new { request.Account, request.Meter, BucketStart = request.BucketStart.ToUnixTimeSeconds(), Quantity = quantity, ReportedQuantity = reported },
            cancellationToken).ConfigureAwait(false);

    private static async Task<UsageCorrection> ReadAsync(DbConnection connection, DbTransaction transaction, CorrectionSql sql, long id, CancellationToken cancellationToken) =>
        (await connection.QuerySingleAsync<CorrectionRow>(new CommandDefinition(sql.CorrectionById, new { Id = id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToCorrection();

    private static Task<int> ExecuteAsync(DbConnection connection, DbTransaction transaction, string statement, object parameters, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(statement, parameters, transaction, cancellationToken: cancellationToken));
}
