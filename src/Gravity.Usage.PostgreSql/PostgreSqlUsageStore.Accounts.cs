using Dapper;
using Gravity.Usage.Internal;

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
                var previous = await connection.QueryFirstOrDefaultAsync<AccountRow>(new CommandDefinition(
                    _reportQueries.GetAccountForUpdate, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

                // A change of plan first closes the usage so far under the old plan: usage of a free period is never
                // billed, usage of a paid period always is.
                if (previous is not null && previous.Billable != account.Billable)
                {
                    var oldPlan = new UsageAccount(account.Account) { Billable = previous.Billable, BillableSince = UnixTimeOrNull(previous.BillableSince) };
                    var open = await connection.QueryAsync<(string Account, string Meter, long BucketStart)>(new CommandDefinition(
                        _reportQueries.UnreportedOfAccount, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    var closings = open.Select(c =>
                    {
                        var bucketStart = UnixTime.FromSeconds(c.BucketStart);
                        return new ReportClosing(c.Account, c.Meter, bucketStart, bucketStart + _bucketSize, BillingPlan.SkipReason(oldPlan, bucketStart + _bucketSize));
                    }).ToList();
                    await CloseCountersAsync(connection, transaction, closings, now, cancellationToken).ConfigureAwait(false);
                }

                var billableSince = account.BillableSince
                    ?? (account.Billable && previous is { Billable: false } ? now : UnixTimeOrNull(previous?.BillableSince));
                await connection.ExecuteAsync(new CommandDefinition(
                    _reportQueries.UpsertAccount,
                    new
                    {
                        account.Account,
                        account.StripeCustomerId,
                        account.Billable,
                        BillableSince = billableSince?.ToUnixTimeSeconds(),
                        Now = now.ToUnixTimeMilliseconds(),
                    },
                    transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(
                    _reportQueries.DeleteAccountItems, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                foreach (var (meter, item) in account.SubscriptionItems)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        _reportQueries.InsertAccountItem,
                        new { account.Account, Meter = meter, SubscriptionItemId = item },
                        transaction,
                        cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

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
