using Gravity.Usage.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// The built-in stores' side of the contract (DESIGN §8) that raw SQL alone can see, on SQLite and PostgreSQL: schema
/// install and upgrades from ledgers of earlier versions, and how keys are stored. The provider-neutral contract is
/// the one Gravity.Usage.Testing ships, run on both providers by <see cref="ShippedStoreContractTests{TFixture}"/>.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed partial class UsageStoreContractTests<TFixture>
    where TFixture : IStoreFixture, new()
{
    /// <summary>The instant every test's clock starts at: 10:00 UTC, on an hour boundary.</summary>
    private static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private const string Usage = UsageBillingOptions.DefaultMeterName;

    private readonly List<UsageMeter> _meters = [];

    private TFixture _fixture = default!;

    private FakeTimeProvider Clock { get; set; } = null!;

    private TFixture Fixture => _fixture;

    /// <summary>The first store on the test's database; tests that need more create them.</summary>
    private PersistentStore Store { get; set; } = null!;

    [SetUp]
    public async Task CreateDatabaseAsync()
    {
        _fixture = new TFixture();
        await _fixture.InitializeAsync();
        Clock = new FakeTimeProvider(Start);
        Store = _fixture.CreateStore(Clock);
    }

    [TearDown]
    public async Task DeleteDatabaseAsync()
    {
        // Meters first: a meter flushes into its store when disposed.
        foreach (var meter in _meters)
        {
            await meter.DisposeAsync();
        }

        _meters.Clear();

        // The fixture owns every store it created; disposing it disposes them, then deletes the database.
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        await _fixture.DisposeAsync();
    }

    private UsageIncrement Increment(string account, long quantity, string? key = null, string meter = Usage, DateTimeOffset? bucketStart = null) =>
        new(account, meter, bucketStart ?? Start, quantity, key, Clock.GetUtcNow());

    private async Task<long> TotalAsync(string account, string meter = Usage)
    {
        var totals = await Store.Ledger.GetTotalsAsync(account, Start.AddYears(-1), Start.AddYears(1), meter);
        return totals.Count == 0 ? 0 : totals.Single().Quantity;
    }

    private Task<IReadOnlyList<UsageReport>> CloseAsync(string account, string meter = Usage, DateTimeOffset? bucketStart = null, string? skipReason = null)
    {
        var start = bucketStart ?? Start;
        return Store.Reports.CloseAsync([new ReportClosing(account, meter, start, start + Hour, skipReason)], Clock.GetUtcNow());
    }
}
