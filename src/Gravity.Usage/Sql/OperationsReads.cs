namespace Gravity.Usage.Sql;

/// <summary>Turns the rows of the operations reads into results, the same way for both stores.</summary>
internal static class OperationsReads
{
    /// <summary>The longest Stripe customer id looked up; Stripe's ids are far shorter.</summary>
    public const int MaxCustomerIdLength = 255;

    /// <summary>Checks a Stripe customer id before it reaches the database.</summary>
    /// <param name="stripeCustomerId">The id.</param>
    /// <param name="parameterName">The caller's parameter name.</param>
    /// <exception cref="UsageInputException">The id is missing, empty, white space or too long.</exception>
    public static void ValidateCustomerId(string stripeCustomerId, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(stripeCustomerId) || stripeCustomerId.Length > MaxCustomerIdLength)
        {
            throw new UsageInputException($"A Stripe customer id must be 1 to {MaxCustomerIdLength} characters, not only white space.", parameterName);
        }
    }

    /// <summary>Folds the per-status rows into counts.</summary>
    /// <param name="rows">One row per status present.</param>
    /// <returns>The counts.</returns>
    public static UsageReportCounts ToCounts(IEnumerable<(string Status, long Count, long? OldestCreatedAt)> rows)
    {
        var counts = new UsageReportCounts();
        foreach (var (status, count, oldest) in rows)
        {
            counts = ReportStatusText.Parse(status) switch
            {
                UsageReportStatus.Pending => counts with
                {
                    Pending = count,
                    OldestPendingCreatedAt = oldest is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
                },
                UsageReportStatus.Sent => counts with { Sent = count },
                UsageReportStatus.Failed => counts with { Failed = count },
                UsageReportStatus.Skipped => counts with { Skipped = count },
                UsageReportStatus.Cancelled => counts with { Cancelled = count },
                UsageReportStatus.Cancelling => counts with { Cancelling = count },
                UsageReportStatus.NeedsCredit => counts with { NeedsCredit = count },
                _ => counts with { Unknown = count },
            };
        }

        return counts;
    }
}
