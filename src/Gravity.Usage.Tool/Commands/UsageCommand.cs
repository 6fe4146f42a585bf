using System.CommandLine;
using Gravity.Usage.Tool.Output;

namespace Gravity.Usage.Tool.Commands;

/// <summary><c>usage --account A [--from] [--to] [--meter]</c>: an account's usage per meter, reported and not yet.</summary>
internal static class UsageCommand
{
    public static Command Create(CommandRunner runner)
    {
        var account = new Option<string>("--account") { Description = "The account.", Required = true };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start of the period (ISO 8601; default: the start of this UTC month)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End of the period, exclusive (ISO 8601; default: the start of next UTC month)." };
        var meter = new Option<string?>("--meter") { Description = "Only this meter." };
        var command = new Command("usage", "Shows an account's usage per meter over a period.") { account, from, to, meter };
        command.SetAction((parse, ct) => runner.RunAsync(parse, async (ledger, context, token) =>
        {
            var now = context.Now;
            var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
            var periodStart = parse.GetValue(from) ?? monthStart;
            var periodEnd = parse.GetValue(to) ?? monthStart.AddMonths(1);
            if (periodEnd <= periodStart)
            {
                throw new ToolException("--to must be after --from.");
            }

            var name = parse.GetValue(account)!;
            var totals = await ledger.Usage.GetTotalsAsync(name, periodStart, periodEnd, parse.GetValue(meter), token).ConfigureAwait(false);
            if (context.Json)
            {
                Json.Write(context.Out, new
                {
                    account = name,
                    from = periodStart,
                    to = periodEnd,
                    meters = totals.Select(m => new { m.Meter, Kind = m.Kind.ToString(), m.Quantity, m.SentQuantity, m.PendingQuantity, m.SkippedQuantity, m.FailedQuantity }),
                });
                return ExitCodes.Ok;
            }

            context.Out.WriteLine($"{name}: {Format.Instant(periodStart)} to {Format.Instant(periodEnd)}");
            var table = new Table("METER", "KIND", "QUANTITY", "SENT", "PENDING", "SKIPPED", "FAILED");
            foreach (var m in totals)
            {
                table.Add(m.Meter, m.Kind.ToString(), Format.Number(m.Quantity), Format.Number(m.SentQuantity), Format.Number(m.PendingQuantity), Format.Number(m.SkippedQuantity), Format.Number(m.FailedQuantity));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
