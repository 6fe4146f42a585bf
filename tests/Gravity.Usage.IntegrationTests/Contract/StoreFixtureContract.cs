using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// The shipped store contract's fixture for the built-in providers: each ledger is a <typeparamref name="TFixture"/> (a
/// fresh SQLite file or PostgreSQL schema), read with raw SQL for what the interfaces do not show.
/// </summary>
public sealed class StoreFixtureContract<TFixture> : UsageStoreContractFixture
    where TFixture : IStoreFixture, new()
{
    public override async Task<UsageStoreContractLedger> CreateLedgerAsync(CancellationToken cancellationToken)
    {
        var fixture = new TFixture();
        try
        {
            await fixture.InitializeAsync();
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }

        return new Ledger(fixture);
    }

    private sealed class Ledger(TFixture fixture) : UsageStoreContractLedger
    {
        public override IUsageStore OpenStore(TimeProvider timeProvider) => fixture.CreateStore(timeProvider).Ledger;

        public override Task<string> ReadLedgerIdAsync(CancellationToken cancellationToken) =>
            fixture.TextAsync($"SELECT ledger_id FROM {fixture.Table("usage_ledger")}");

        /// <summary>Keys stored: hashed (schema version 8 on) and, left from before it, as text.</summary>
        public override async Task<long?> CountIdempotencyKeysAsync(CancellationToken cancellationToken) => await fixture.ScalarAsync(
            $"SELECT (SELECT COUNT(*) FROM {fixture.Table("usage_idempotency_hash")}) + (SELECT COUNT(*) FROM {fixture.Table("usage_idempotency_key")})");

        /// <summary>The provider's own registration (UseSqlite, UsePostgreSql); the store reads the container's clock.</summary>
        public override void UseStore(UsageBillingBuilder builder, TimeProvider timeProvider) => fixture.UseStore(builder);

        public override ValueTask DisposeAsync() => fixture.DisposeAsync();
    }
}
