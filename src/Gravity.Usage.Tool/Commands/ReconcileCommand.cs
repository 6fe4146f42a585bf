using System.CommandLine;
using System.Globalization;
using Gravity.Usage.Stripe;
using Gravity.Usage.Tool.Output;

namespace Gravity.Usage.Tool.Commands;

/// <summary>
/// <c>reconcile --period</c>: compares what the ledger sent with Stripe's hourly meter totals (per account, meter and
/// hour), settles unknown reports from that evidence, and marks the reports Stripe rejected asynchronously failed; see
/// <see cref="StripeUsageReconciler"/>. Prints the drift table and the changes made; exit code 3 while drift,
/// unresolved unknown reports or a problem remain, 0 when the period is clean, 4 when Stripe could not be used.
/// </summary>
/// <remarks>
/// The tool knows no meter configuration: a meter's Stripe event name is the meter's name unless <c>--event-name
/// meter=event_name</c> says otherwise, and a meter whose Stripe meter aggregates <c>last</c> is weighed as a gauge.
/// </remarks>
internal static class ReconcileCommand
{
    public static Command Create(CommandRunner runner)
    {
        var period = new Option<string>("--period")
        {
            Description = "The hours to reconcile: YYYY-MM (a calendar month, UTC) or <from>..<to> (dates or instants on whole UTC hours).",
            Required = true,
        };
        var account = new Option<string?>("--account") { Description = "Only this account." };
        var eventNames = new Option<string[]>("--event-name")
        {
            Description = "A meter's Stripe event name, as meter=event_name, when it is not the meter's own name (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var settle = new Option<TimeSpan?>("--settle-time")
        {
            Description = "How long after a report's last delivery attempt Stripe's totals are trusted to show it (hh:mm:ss; default 01:00:00).",
        };
        var command = new Command("reconcile", "Compares the ledger with Stripe's hourly meter totals, settles unknown reports and marks rejected ones failed; exit code 3 while drift remains.")
        {
            period, account, eventNames, settle,
        };
        command.SetAction((parse, ct) => runner.RunAsync(parse, async (ledger, context, token) =>
        {
            var (from, to) = ReconcilePeriod.Parse(parse.GetValue(period)!);
            var billing = new UsageBillingOptions();
            foreach (var mapping in parse.GetValue(eventNames) ?? [])
            {
                var parts = mapping.Split('=', 2, StringSplitOptions.TrimEntries);
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                {
                    throw new ToolException($"--event-name '{mapping}' is not meter=event_name.");
                }

                billing.Meters[parts[0]] = new MeterOptions { StripeEventName = parts[1] };
            }

            var options = new UsageReconciliationOptions();
            if (parse.GetValue(settle) is { } settleTime)
            {
                options.SettleTime = settleTime;
            }

            var stripe = new StripeOptions { Client = StripeEnvironment.CreateClient(context.Environment) };
            using var reconciler = new StripeUsageReconciler(ledger.Reconciliation, stripe, billing, options, timeProvider: context.Environment.Clock);
            var progress = context.Environment.ErrorIsTerminal && !context.Json ? new TerminalProgress(context.Environment.Error) : null;
            UsageReconciliationReport report;
            try
            {
                report = await reconciler.ReconcileAsync(from, to, parse.GetValue(account), progress, token).ConfigureAwait(false);
            }
            catch (global::Stripe.StripeException ex)
            {
                progress?.Clear();
                await context.Environment.Error.WriteLineAsync($"gravity-usage: Stripe refused the reconciliation: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.StripeUnavailable;
            }
            catch (HttpRequestException ex)
            {
                progress?.Clear();
                await context.Environment.Error.WriteLineAsync($"gravity-usage: Stripe could not be reached: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.StripeUnavailable;
            }

            progress?.Clear();
            if (context.Json)
            {
                Json.Write(context.Out, new { ledger = ledger.Description, report.IsClean, report.DriftCount, report.UnresolvedCount, report = report });
            }
            else
            {
                Print(context.Out, ledger.Description, report);
            }

            return report.IsClean ? ExitCodes.Ok : ExitCodes.Unhealthy;
        }, ct));
        return command;
    }

    private static void Print(TextWriter output, string ledger, UsageReconciliationReport report)
    {
        output.WriteLine($"Reconciliation of {ledger} with Stripe, {Hour(report.From)} to {Hour(report.To)} UTC{(report.Account is null ? string.Empty : ", account " + report.Account)}");
        output.WriteLine();
        if (report.Rows.Count == 0)
        {
            output.WriteLine("No usage was reported in the period.");
        }
        else
        {
            var table = new Table("ACCOUNT", "METER", "HOUR (UTC)", "LEDGER", "UNKNOWN", "STRIPE", "DIFF", "STATE", "REPORTS");
            foreach (var row in report.Rows)
            {
                table.Add(
                    row.Account,
                    row.Meter,
                    Hour(row.Hour),
                    Format.Number(row.LocalTotal),
                    row.UnknownTotal == 0 && row.UnknownReportIds.Count == 0 ? "-" : Format.Number(row.UnknownTotal),
                    Decimal(row.StripeTotal),
                    row.Difference == 0 ? "0" : (row.Difference > 0 ? "+" : string.Empty) + Decimal(row.Difference),
                    row.State.ToString().ToLowerInvariant(),
                    string.Join(",", row.ReportIds));
            }

            table.WriteTo(output);
        }

        foreach (var row in report.Rows.Where(r => r.State is not (UsageReconciliationRowState.Matched or UsageReconciliationRowState.Resolved) && r.Note is not null))
        {
            output.WriteLine($"  {row.Account} {row.Meter} {Hour(row.Hour)}: {row.Note}");
        }

        if (report.Actions.Count > 0)
        {
            output.WriteLine();
            var actions = new Table("CHANGE", "REPORT", "ACCOUNT", "METER", "QUANTITY", "NEW REPORT", "WHY");
            foreach (var action in report.Actions)
            {
                actions.Add(
                    action.Kind switch
                    {
                        UsageReconciliationActionKind.MarkedSent => "marked sent",
                        UsageReconciliationActionKind.Resent => "resent",
                        _ => "marked failed",
                    },
                    action.ReportId.ToString(CultureInfo.InvariantCulture),
                    action.Account,
                    action.Meter,
                    Format.Number(action.Quantity),
                    action.NewReportId?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    Format.Short(action.Reason, 90));
            }

            actions.WriteTo(output);
        }

        foreach (var problem in report.Problems)
        {
            output.WriteLine($"Problem: {problem}");
        }

        output.WriteLine();
        var states = report.Rows.GroupBy(r => r.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
        output.WriteLine($"{report.Rows.Count} row(s): {(report.Rows.Count == 0 ? "none" : string.Join(", ", states))}; {report.Actions.Count} change(s). "
            + (report.IsClean ? "Clean." : $"Needs attention: {report.DriftCount} with drift, {report.UnresolvedCount} with unknown reports left, {report.Problems.Count} problem(s)."));
    }

    private static string Hour(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Decimal(decimal value) => value.ToString("#,0.############", CultureInfo.InvariantCulture);
}
