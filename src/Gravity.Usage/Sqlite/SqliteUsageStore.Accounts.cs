using Dapper;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Sqlite;

/// <summary>The built-in account mapping on SQLite.</summary>
public sealed partial class SqliteUsageStore
{
    /// <inheritdoc />
    public async Task SaveAccountAsync(UsageAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        UsageRules.ValidateAccount(account.Account, nameof(account));
        var now = _timeProvider.GetUtcNow();
        await RunWriteAsync(
            writer =>
            {
                var connection = writer.Connection;
                using var transaction = connection.BeginTransaction(deferred: false);
                var previous = connection.QueryFirstOrDefault<AccountRow>(_reportQueries.GetAccount, new { account.Account }, transaction);

                // A change of plan first closes the usage so far under the old plan: usage of a free period is never
                // billed, usage of a paid period always is.
                if (previous is not null && previous.Billable != account.Billable)
                {
                    var oldPlan = new UsageAccount(account.Account) { Billable = previous.Billable, BillableSince = UnixTimeOrNull(previous.BillableSince) };
                    var open = connection.Query<(string Account, string Meter, long BucketStart)>(_reportQueries.UnreportedOfAccount, new { account.Account }, transaction)
                        .Select(c =>
                        {
                            var bucketStart = UnixTime.FromSeconds(c.BucketStart);
                            return new ReportClosing(c.Account, c.Meter, bucketStart, bucketStart + _bucketSize, BillingPlan.SkipReason(oldPlan, bucketStart + _bucketSize));
                        });
                    CloseCounters(connection, transaction, open, now);
                }

                var billableSince = account.BillableSince
                    ?? (account.Billable && previous is { Billable: false } ? now : UnixTimeOrNull(previous?.BillableSince));
                connection.Execute(
                    _reportQueries.UpsertAccount,
                    new
                    {
                        account.Account,
                        account.StripeCustomerId,
                        account.Billable,
                        BillableSince = billableSince?.ToUnixTimeSeconds(),
                        Now = now.ToUnixTimeMilliseconds(),
                    },
                    transaction);
                connection.Execute(_reportQueries.DeleteAccountItems, new { account.Account }, transaction);
                foreach (var (meter, item) in account.SubscriptionItems)
                {
                    connection.Execute(_reportQueries.InsertAccountItem, new { account.Account, Meter = meter, SubscriptionItemId = item }, transaction);
                }

                transaction.Commit();
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
        var row = rows[0];
        return new UsageAccount(row.Account)
        {
            StripeCustomerId = row.StripeCustomerId,
            Billable = row.Billable,
            BillableSince = UnixTimeOrNull(row.BillableSince),
            SubscriptionItems = items.ToDictionary(i => i.Meter, i => i.SubscriptionItemId, StringComparer.Ordinal),
        };
    }

    private static DateTimeOffset? UnixTimeOrNull(long? seconds) => seconds is { } s ? UnixTime.FromSeconds(s) : null;

    private sealed class AccountRow
    {
        public string Account { get; set; } = string.Empty;

        public string? StripeCustomerId { get; set; }

        public bool Billable { get; set; }

        public long? BillableSince { get; set; }
    }
}
