using System.Data.Common;
using Dapper;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>The account mapping as both stores keep it, run inside the caller's transaction.</summary>
internal static class AccountMapping
{
    /// <summary>
    /// Saves <paramref name="account"/> inside the caller's transaction. A change of plan (the billable flag), of Stripe
    /// customer, of legacy subscription items or of billing cycle first closes the usage so far under the old mapping:
    /// its reports keep the old customer and items, and its buckets end at the old cycle's boundaries.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The caller's transaction, committed by the caller.</param>
    /// <param name="sql">The store's SQL texts.</param>
    /// <param name="getPrevious">The query of the account as stored before, returning an <see cref="AccountRow"/> (locking it where the store needs to).</param>
    /// <param name="account">The account to save.</param>
    /// <param name="now">The instant of the change.</param>
    /// <param name="bucketSize">The meter's bucket size.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    /// <returns>A task that completes when the account is saved, not yet committed.</returns>
    public static async Task SaveAsync(
        DbConnection connection,
        DbTransaction transaction,
        LedgerSql sql,
        string getPrevious,
        UsageAccount account,
        DateTimeOffset now,
        TimeSpan bucketSize,
        CancellationToken cancellationToken)
    {
        var previousRow = await connection.QueryFirstOrDefaultAsync<AccountRow>(new CommandDefinition(
            getPrevious, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        UsageAccount? previous = null;
        if (previousRow is not null)
        {
            var items = await connection.QueryAsync<(string Meter, string SubscriptionItemId)>(new CommandDefinition(
                sql.GetAccountItems, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            previous = ToAccount(previousRow, items);
        }

        // A change of mapping first closes the usage so far under the old one: usage of a free period is never billed,
        // usage of a paid period always is, and usage is billed to the customer, item and period it was recorded under.
        if (previous is not null && MappingChanged(previous, account))
        {
            var open = await connection.QueryAsync<(string Account, string Meter, long BucketStart)>(new CommandDefinition(
                sql.UnreportedOfAccount, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var closings = open.Select(c => BillingPlan.ClosingUnder(previous, c.Meter, UnixTime.FromSeconds(c.BucketStart), bucketSize)).ToList();
            var gauges = await connection.QueryAsync<(string Meter, long Kind, long BucketStart)>(new CommandDefinition(
                sql.Gauges.UnreportedOfAccount, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            // Gauges too, per billing period as the reporter closes them, under the old mapping.
            closings.AddRange(gauges
                .SelectMany(g =>
                {
                    var bucketStart = UnixTime.FromSeconds(g.BucketStart);
                    var kind = (MeterKind)g.Kind;
                    return GaugeClosingPlan.Periods(kind, previous.BillingCycle, bucketStart, PeriodBuckets.EndOf(bucketStart, bucketSize, previous.BillingCycle), now)
                        .Select(period => (g.Meter, kind, period));
                })
                .Distinct()
                .Select(p => GaugeClosingPlan.Closing(account.Account, p.Meter, p.kind, p.period, previous)));
            await ReportClosings.CloseAsync(connection, transaction, sql, closings, now, cancellationToken).ConfigureAwait(false);
            await ReopenGaugesAsync(connection, transaction, sql, account.Account, now, cancellationToken).ConfigureAwait(false);
        }

        var billableSince = account.BillableSince
            ?? (account.Billable && previous is { Billable: false } ? now : previous?.BillableSince);
        await connection.ExecuteAsync(new CommandDefinition(
            sql.UpsertAccount,
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
        await connection.ExecuteAsync(account.BillingCycle is { } cycle
            ? new CommandDefinition(
                sql.UpsertCycle,
                new { account.Account, Anchor = cycle.Anchor.ToUnixTimeSeconds(), Interval = BillingIntervalText.Format(cycle.Interval), cycle.IntervalCount },
                transaction,
                cancellationToken: cancellationToken)
            : new CommandDefinition(sql.DeleteCycle, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            sql.DeleteAccountItems, new { account.Account }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var (meter, item) in account.SubscriptionItems)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                sql.InsertAccountItem,
                new { account.Account, Meter = meter, SubscriptionItemId = item },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A gauge's period is billed by its latest report: after a change of plan, its readings of the last 35 days (all
    /// Stripe still takes) are closed again by the next run under the new plan, so an account that turns billable has
    /// its gauges' values sent without waiting for them to change. A value that does not change sends nothing more.
    /// </summary>
    private static Task<int> ReopenGaugesAsync(DbConnection connection, DbTransaction transaction, LedgerSql sql, string account, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            sql.Gauges.ReopenAccount,
            new { Account = account, SinceMs = (now - TimeSpan.FromDays(35)).ToUnixTimeMilliseconds() },
            transaction,
            cancellationToken: cancellationToken));

    /// <summary>Whether saving <paramref name="next"/> over <paramref name="previous"/> changes how usage so far would be billed.</summary>
    private static bool MappingChanged(UsageAccount previous, UsageAccount next) =>
        previous.Billable != next.Billable
        || !string.Equals(previous.StripeCustomerId, next.StripeCustomerId, StringComparison.Ordinal)
        || !Equals(previous.BillingCycle, next.BillingCycle)
        || previous.SubscriptionItems.Count != next.SubscriptionItems.Count
        || previous.SubscriptionItems.Any(p => !next.SubscriptionItems.TryGetValue(p.Key, out var item) || !string.Equals(item, p.Value, StringComparison.Ordinal));

    /// <summary>Reads an account and its subscription items with the store's own queries, each on a connection of its own.</summary>
    /// <param name="queryAccounts">Runs a query returning account rows.</param>
    /// <param name="queryItems">Runs a query returning subscription items.</param>
    /// <param name="sql">The store's SQL texts.</param>
    /// <param name="account">The account.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The account, or <see langword="null"/> when none is stored.</returns>
    public static async Task<UsageAccount?> GetAsync(
        Func<string, object, CancellationToken, Task<IReadOnlyList<AccountRow>>> queryAccounts,
        Func<string, object, CancellationToken, Task<IReadOnlyList<(string Meter, string SubscriptionItemId)>>> queryItems,
        LedgerSql sql,
        string account,
        CancellationToken cancellationToken)
    {
        var rows = await queryAccounts(sql.GetAccount, new { Account = account }, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        var items = await queryItems(sql.GetAccountItems, new { Account = account }, cancellationToken).ConfigureAwait(false);
        return ToAccount(rows[0], items);
    }

    /// <summary>Builds the account from its stored row and subscription items.</summary>
    /// <param name="row">The account's row.</param>
    /// <param name="items">The account's subscription items.</param>
    /// <returns>The account.</returns>
    private static UsageAccount ToAccount(AccountRow row, IEnumerable<(string Meter, string SubscriptionItemId)> items) => new(row.Account)
    {
        StripeCustomerId = row.StripeCustomerId,
        Billable = row.Billable,
        BillableSince = UnixTimeOrNull(row.BillableSince),
        SubscriptionItems = items.ToDictionary(i => i.Meter, i => i.SubscriptionItemId, StringComparer.Ordinal),
        BillingCycle = row.BillingCycle,
    };

    /// <summary>The instant of <paramref name="seconds"/> since the epoch, or <see langword="null"/>.</summary>
    /// <param name="seconds">Unix seconds, or <see langword="null"/>.</param>
    /// <returns>The instant, or <see langword="null"/>.</returns>
    public static DateTimeOffset? UnixTimeOrNull(long? seconds) => seconds is { } s ? UnixTime.FromSeconds(s) : null;
}
