using Gravity.Usage.Sql;

namespace Gravity.Usage.PostgreSql;

/// <summary>The operations reads on PostgreSQL: report counts and the accounts of a Stripe customer.</summary>
public sealed partial class PostgreSqlUsageStore : IUsageReportCounts, IStripeCustomerAccounts
{
    private OperationsSql? _operationsSql;

    private OperationsSql Operations => _operationsSql ??= new OperationsSql(_queries);

    /// <inheritdoc />
    public async Task<UsageReportCounts> CountReportsAsync(CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync<(string Status, long Count, long? OldestCreatedAt)>(Operations.CountReports, new { }, cancellationToken).ConfigureAwait(false);
        return OperationsReads.ToCounts(rows);
    }

    /// <inheritdoc />
    /// <remarks>The account table has no index on the customer id (no schema change for it): a scan of the accounts, fine for thousands of them.</remarks>
    public async Task<IReadOnlyList<string>> FindAccountsAsync(string stripeCustomerId, CancellationToken cancellationToken = default)
    {
        OperationsReads.ValidateCustomerId(stripeCustomerId, nameof(stripeCustomerId));
        return await QueryAsync<string>(Operations.AccountsOfCustomer, new { Customer = stripeCustomerId }, cancellationToken).ConfigureAwait(false);
    }
}
