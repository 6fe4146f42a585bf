using Gravity.Usage.Internal;
using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>The built-in account mapping on SQLite.</summary>
public sealed partial class SqliteUsageStore : IAccountChangeSource
{
    private readonly AccountChanges _accountChanges = new();

    /// <inheritdoc />
    IDisposable IAccountChangeSource.ListenForSavedAccounts(Action<string> listener) => _accountChanges.Listen(listener);

    /// <inheritdoc />
    public async Task SaveAccountAsync(UsageAccount account, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccountMapping(account, nameof(account));
        var now = _timeProvider.GetUtcNow();
        await RunWriteTransactionAsync(
            async (connection, transaction) =>
            {
                await AccountMapping.SaveAsync(connection, transaction, _reportQueries, _reportQueries.GetAccount, account, now, _bucketSize, CancellationToken.None).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
        _accountChanges.Saved(account.Account);
    }

    /// <inheritdoc />
    public async Task<UsageAccount?> GetAccountAsync(string account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        return await AccountMapping.GetAsync(QueryAsync<AccountRow>, QueryAsync<(string Meter, string SubscriptionItemId)>, _reportQueries, account, cancellationToken).ConfigureAwait(false);
    }
}
