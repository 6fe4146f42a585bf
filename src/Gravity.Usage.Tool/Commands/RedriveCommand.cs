using System.CommandLine;
using Gravity.Usage.Tool.Output;

namespace Gravity.Usage.Tool.Commands;

/// <summary>
/// <c>redrive</c>: makes failed (or, asked for explicitly, unknown) reports pending again, to be sent by the next
/// reporting run with their identifier. Sent and skipped reports are never touched. Without <c>--id</c>, only failed
/// reports are re-driven unless <c>--status unknown</c> is given: an unknown report may already be in Stripe, and
/// Stripe forgets identifiers after about a day, so reconcile first.
/// </summary>
internal static class RedriveCommand
{
    public static Command Create(CommandRunner runner)
    {
        var filters = new ReportFilters();
        var all = new Option<bool>("--all") { Description = "Re-drive every failed report (of every account)." };
        var command = new Command("redrive", "Makes failed (or unknown) reports pending again once the cause is fixed.")
        {
            filters.Id, filters.Status, filters.Account, all,
        };
        command.SetAction((parse, ct) => runner.RunAsync(parse, async (ledger, context, token) =>
        {
            var id = parse.GetValue(filters.Id);
            var status = parse.GetValue(filters.Status);
            var account = parse.GetValue(filters.Account);
            if (id is null && status is null && account is null && !parse.GetValue(all))
            {
                throw new ToolException("Say which reports: --id, --status, --account, or --all for every failed report.");
            }

            if (status is not (null or UsageReportStatus.Failed or UsageReportStatus.Unknown))
            {
                throw new ToolException("Only failed and unknown reports can be re-driven (--status failed or --status unknown).");
            }

            if (status == UsageReportStatus.Unknown)
            {
                await context.Environment.Error.WriteLineAsync(
                    "Warning: an unknown report may already be counted by Stripe; re-drive it only once reconciliation shows Stripe lacks it.").ConfigureAwait(false);
            }

            var query = new UsageReportQuery
            {
                Id = id,
                Account = account,
                Status = id is null ? status ?? UsageReportStatus.Failed : status,
                Limit = int.MaxValue,
            };
            var count = await ledger.Reports.RedriveAsync(query, context.Now, token).ConfigureAwait(false);
            if (context.Json)
            {
                Json.Write(context.Out, new { redriven = count });
            }
            else
            {
                context.Out.WriteLine($"Re-drove {Format.Number(count)} report(s): the next reporting run sends them.");
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
