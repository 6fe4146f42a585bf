using System.CommandLine;
using Gravity.Usage.Tool.Output;

namespace Gravity.Usage.Tool.Commands;

/// <summary><c>reports list</c>: the outbox and audit trail, oldest first, filtered by status, account or id, paged by id.</summary>
internal static class ReportsCommand
{
    public const int MaxLimit = 10_000;

    public static Command Create(CommandRunner runner)
    {
        var filters = new ReportFilters();
        var limit = new Option<int>("--limit") { Description = $"The most reports listed (1 to {MaxLimit:N0}).", DefaultValueFactory = _ => 50 };
        var afterId = new Option<long>("--after-id") { Description = "Only reports with a greater id (paging).", DefaultValueFactory = _ => 0 };
        var list = new Command("list", "Lists reports, oldest first.") { filters.Status, filters.Account, filters.Id, limit, afterId };
        list.SetAction((parse, ct) => runner.RunAsync(parse, async (ledger, context, token) =>
        {
            var count = parse.GetValue(limit);
            if (count is < 1 or > MaxLimit)
            {
                throw new ToolException($"--limit must be between 1 and {MaxLimit:N0}.");
            }

            var query = new UsageReportQuery
            {
                Status = parse.GetValue(filters.Status),
                Account = parse.GetValue(filters.Account),
                Id = parse.GetValue(filters.Id),
                AfterId = parse.GetValue(afterId),
                Limit = count,
            };
            var reports = await ledger.Reports.ListReportsAsync(query, token).ConfigureAwait(false);
            if (reports.Count == count)
            {
                // On standard error, so that the JSON on standard output stays one document.
                await context.Environment.Error.WriteLineAsync($"(a full page of {count} reports; the next: --after-id {reports[^1].Id})").ConfigureAwait(false);
            }

            if (context.Json)
            {
                Json.Write(context.Out, reports.Select(r => new
                {
                    r.Id,
                    r.Status,
                    r.Account,
                    r.Meter,
                    r.BucketStart,
                    r.Quantity,
                    r.Identifier,
                    r.Attempts,
                    r.RedriveCount,
                    r.CreatedAt,
                    r.FirstAttemptAt,
                    r.NextAttemptAt,
                    r.SentAt,
                    r.LastError,
                    r.LastRequestId,
                }));
                return ExitCodes.Ok;
            }

            var table = new Table("ID", "STATUS", "ACCOUNT", "METER", "BUCKET", "QUANTITY", "ATTEMPTS", "CREATED", "LAST ERROR");
            foreach (var r in reports)
            {
                table.Add(
                    r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Format.Status(r.Status),
                    r.Account,
                    r.Meter,
                    Format.Instant(r.BucketStart),
                    Format.Number(r.Quantity),
                    r.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Format.Instant(r.CreatedAt),
                    Format.Short(r.LastError));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        }, ct));
        return new Command("reports", "The report outbox.") { list };
    }
}
