using System.CommandLine;
using Gravity.Usage.Tool.Output;

namespace Gravity.Usage.Tool.Commands;

/// <summary>
/// <c>status</c>: how many reports are pending, sent, failed, unknown and skipped, and the oldest pending report's age.
/// Exits 3 when the outbox needs attention (failed or unknown reports, or a report pending longer than
/// <c>--max-pending-age</c>), as the outbox health check judges it.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CommandRunner runner)
    {
        var maxPendingAge = new Option<TimeSpan>("--max-pending-age")
        {
            Description = "A pending report older than this makes the status unhealthy (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromHours(2),
        };
        var command = new Command("status", "Counts the reports by status and finds the oldest pending one; exit code 3 when the outbox needs attention.")
        {
            maxPendingAge,
        };
        command.SetAction((parse, ct) => runner.RunAsync(parse, async (ledger, context, token) =>
        {
            var limit = parse.GetValue(maxPendingAge);
            if (limit <= TimeSpan.Zero)
            {
                throw new ToolException("--max-pending-age must be positive.");
            }

            var counts = await ledger.Counts.CountReportsAsync(token).ConfigureAwait(false);
            TimeSpan? age = counts.OldestPendingCreatedAt is { } oldest ? context.Now - oldest : null;
            var problems = new List<string>();
            if (counts.Failed > 0)
            {
                problems.Add($"{counts.Failed} failed report(s): fix the cause, then redrive");
            }

            if (counts.Unknown > 0)
            {
                problems.Add($"{counts.Unknown} report(s) of unknown outcome: reconcile with Stripe");
            }

            if (age > limit)
            {
                problems.Add($"a report pending for {Format.Age(age.Value)}, longer than {Format.Age(limit)}");
            }

            if (context.Json)
            {
                Json.Write(context.Out, new
                {
                    ledger = ledger.Description,
                    counts.Pending,
                    counts.Sent,
                    counts.Failed,
                    counts.Unknown,
                    counts.Skipped,
                    counts.Cancelled,
                    counts.Cancelling,
                    counts.NeedsCredit,
                    oldestPendingCreatedAt = counts.OldestPendingCreatedAt,
                    oldestPendingAgeSeconds = age is { } a ? (long?)a.TotalSeconds : null,
                    healthy = problems.Count == 0,
                    problems,
                });
            }
            else
            {
                new Table("ITEM", "VALUE")
                    .Add("ledger", ledger.Description)
                    .Add("pending", Format.Number(counts.Pending))
                    .Add("sent", Format.Number(counts.Sent))
                    .Add("failed", Format.Number(counts.Failed))
                    .Add("unknown", Format.Number(counts.Unknown))
                    .Add("skipped", Format.Number(counts.Skipped))
                    .Add("cancelled", Format.Number(counts.Cancelled))
                    .Add("cancelling", Format.Number(counts.Cancelling))
                    .Add("needs credit", Format.Number(counts.NeedsCredit))
                    .Add("oldest pending", age is { } shown ? $"{Format.Age(shown)} (closed {Format.Instant(counts.OldestPendingCreatedAt)})" : "-")
                    .Add("status", problems.Count == 0 ? "healthy" : "needs attention: " + string.Join("; ", problems))
                    .WriteTo(context.Out);
            }

            return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Unhealthy;
        }, ct));
        return command;
    }
}
