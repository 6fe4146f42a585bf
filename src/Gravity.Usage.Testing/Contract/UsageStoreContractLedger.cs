using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.Testing;

/// <summary>
/// One fresh ledger of the provider under test, made by <see cref="UsageStoreContractFixture.CreateLedgerAsync"/>.
/// The suite opens several stores on it at once (as several processes of one application would) and disposes every
/// store it opened before it disposes the ledger.
/// </summary>
public abstract class UsageStoreContractLedger : IAsyncDisposable
{
    /// <summary>
    /// Opens a new store on this ledger, with its own connections, as another process would. The store is the one
    /// object a host registers: it implements <see cref="IUsageStore"/> and, for the cases that need them,
    /// <see cref="IUsageReportStore"/>, <see cref="IUsageAccountStore"/>, <see cref="IUsageReportCounts"/> and
    /// <see cref="IStripeCustomerAccounts"/>; and <c>IIdempotencyFingerprintReader</c>, without which the meter's
    /// conflict messages cannot name what differs (one case checks that they do).
    /// </summary>
    /// <param name="timeProvider">The clock the store must read whenever it needs the time (the suite's fake clock).</param>
    /// <returns>The store; the suite disposes it.</returns>
    public abstract IUsageStore OpenStore(TimeProvider timeProvider);

    /// <summary>
    /// Reads the ledger's random id, the one its report identifiers are derived from (see
    /// <c>ReportIdentifier.Create</c>): the suite checks each report's identifier against it, and that two ledgers'
    /// ids differ. The built-in stores make it at install: 32 lowercase hex digits (128 random bits), as the suite expects.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The ledger id the store installed.</returns>
    public abstract Task<string> ReadLedgerIdAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts the idempotency keys the ledger holds (every form the provider keeps them in), or returns null when the
    /// provider cannot tell. With a count, the cases also check that a refused call left no key behind; without one,
    /// they check it only through what a retry of the key does.
    /// </summary>
    /// <param name="cancellationToken">Cancels the count.</param>
    /// <returns>The number of keys stored, or null.</returns>
    public virtual Task<long?> CountIdempotencyKeysAsync(CancellationToken cancellationToken = default) => Task.FromResult<long?>(null);

    /// <summary>
    /// Points a usage billing builder at this ledger, for the case that runs the meter and the reporter through
    /// dependency injection. By default it registers <see cref="OpenStore"/>; override it to exercise the provider's
    /// own registration (for example <c>UsePostgreSql</c>).
    /// </summary>
    /// <param name="builder">The builder of the case's service collection.</param>
    /// <param name="timeProvider">The clock the case registers as the container's <see cref="TimeProvider"/>.</param>
    public virtual void UseStore(UsageBillingBuilder builder, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseStore(_ => OpenStore(timeProvider));
    }

    /// <summary>Deletes the ledger. Called once, after the case disposed every store and meter it made.</summary>
    /// <returns>A task that completes when the ledger is gone.</returns>
    public abstract ValueTask DisposeAsync();
}
