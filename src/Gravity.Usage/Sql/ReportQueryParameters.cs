namespace Gravity.Usage.Sql;

/// <summary>The parameters of <see cref="LedgerSql.List"/> and <see cref="LedgerSql.Redrive"/>.</summary>
internal static class ReportQueryParameters
{
    /// <summary>The parameters that select the reports of <paramref name="query"/>.</summary>
    /// <param name="query">Which reports.</param>
    /// <returns>An object whose properties are the parameters.</returns>
    public static object For(UsageReportQuery query) => new
    {
        Status = query.Status is { } status ? ReportStatusText.Format(status) : null,
        query.Account,
        query.Id,
        query.AfterId,
        query.Limit,
    };
}
