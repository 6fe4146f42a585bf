using Gravity.Usage.AspNetCore.Errors;
using Microsoft.AspNetCore.Http;

namespace Gravity.Usage.AspNetCore.Reads;

/// <summary>
/// One account's usage over a period as JSON, for the host's dashboard: <c>GET …/{account}?from=…&amp;to=…</c> (ISO 8601
/// instants; the current UTC calendar month when left out). The library's input errors answer 400 problem details.
/// </summary>
internal static class AccountUsageEndpoint
{
    public static async Task<IResult> HandleAsync(string account, DateTimeOffset? from, DateTimeOffset? to, IUsageMeter meter, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var periodStart = from ?? monthStart;
        var periodEnd = to ?? monthStart.AddMonths(1);
        if (periodEnd <= periodStart)
        {
            return Results.Problem(detail: "'to' must be after 'from'.", statusCode: StatusCodes.Status400BadRequest, title: "Invalid usage input");
        }

        UsageSummary summary;
        try
        {
            summary = await meter.GetAsync(account, periodStart, periodEnd, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (UsageInputException ex) when (UsageExceptionHandler.Describe(ex) is { } problem)
        {
            return Results.Problem(problem);
        }

        return Results.Json(new
        {
            account = summary.Account,
            from = summary.From,
            to = summary.To,
            meters = summary.Meters.Select(m => new
            {
                meter = m.Meter,
                kind = m.Kind.ToString(),
                quantity = m.Quantity,
                sentQuantity = m.SentQuantity,
                pendingQuantity = m.PendingQuantity,
                skippedQuantity = m.SkippedQuantity,
                failedQuantity = m.FailedQuantity,
            }),
        });
    }
}
