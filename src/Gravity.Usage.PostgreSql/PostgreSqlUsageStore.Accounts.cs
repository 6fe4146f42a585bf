using Gravity.Usage.Internal;
using Gravity.Usage.Sql;

namespace Gravity.Usage.PostgreSql;

/// <summary>The built-in account mapping on PostgreSQL.</summary>
public sealed partial class PostgreSqlUsageStore
{
    /// <inheritdoc />
    public async Task SaveAccountAsync(UsageAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        UsageRules.ValidateAccount(account.Account, nameof(account));
        var now = _timeProvider.GetUtcNow();
        await InTransactionAsync(
            async (connection, transaction) =>
            {
                await AccountMapping.SaveAsync(connection, transaction, _reportQueries, _reportQueries.GetAccountForUpdate, account, now, _bucketSize, cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<UsageAccount?> GetAccountAsync(string account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        var rows = await QueryAsync<AccountRow>(_reportQueries.GetAccount, new { Account = account }, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        var items = await QueryAsync<(string Meter, string SubscriptionItemId)>(_reportQueries.GetAccountItems, new { Account = account }, cancellationToken).ConfigureAwait(false);
        return AccountMapping.ToAccount(rows[0], items);
    }
}
