using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// One case's world: its ledger, the fake clock every store and meter reads, the first store, and everything the case
/// opens, disposed in order (meters flush into their stores, then the stores close, then the ledgers go).
/// </summary>
internal sealed class ContractRun : IAsyncDisposable
{
    /// <summary>The instant every case's clock starts at: 10:00 UTC, on an hour boundary.</summary>
    public static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private readonly UsageStoreContractFixture _fixture;
    private readonly List<UsageStoreContractLedger> _otherLedgers = [];
    private readonly List<object> _stores = [];
    private readonly List<UsageMeter> _meters = [];

    private ContractRun(UsageStoreContractFixture fixture, UsageStoreContractLedger ledger, CancellationToken cancellationToken)
    {
        _fixture = fixture;
        Ledger = ledger;
        CancellationToken = cancellationToken;
        Clock = new FakeTimeProvider(Start);
        Store = OpenStore(ledger, Clock);
    }

    public UsageStoreContractLedger Ledger { get; }

    public CancellationToken CancellationToken { get; }

    public FakeTimeProvider Clock { get; }

    /// <summary>The first store on the case's ledger; cases that need more open them.</summary>
    public ContractStore Store { get; }

    public static async Task<ContractRun> StartAsync(UsageStoreContractFixture fixture, CancellationToken cancellationToken)
    {
        var ledger = await fixture.CreateLedgerAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{fixture.GetType().Name}.CreateLedgerAsync returned null.");
        try
        {
            return new ContractRun(fixture, ledger, cancellationToken);
        }
        catch
        {
            await ledger.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Another store on <paramref name="ledger"/> (the case's ledger when null), disposed with the run.</summary>
    public ContractStore OpenStore(UsageStoreContractLedger? ledger = null, TimeProvider? clock = null)
    {
        var store = (ledger ?? Ledger).OpenStore(clock ?? Clock)
            ?? throw new InvalidOperationException($"{(ledger ?? Ledger).GetType().Name}.OpenStore returned null.");
        lock (_stores)
        {
            _stores.Add(store);
        }

        return new ContractStore(store);
    }

    /// <summary>A second fresh ledger of the same provider, deleted with the run.</summary>
    public async Task<UsageStoreContractLedger> CreateOtherLedgerAsync()
    {
        var ledger = await _fixture.CreateLedgerAsync(CancellationToken).ConfigureAwait(false);
        _otherLedgers.Add(ledger);
        return ledger;
    }

    public UsageMeter Track(UsageMeter meter)
    {
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public async ValueTask DisposeAsync()
    {
        // Everything is disposed even when something fails to, so that no ledger outlives its case; the first failure is rethrown.
        var failures = new List<Exception>();
        foreach (var meter in _meters)
        {
            await DisposeAsync(meter, failures).ConfigureAwait(false);
        }

        foreach (var store in _stores)
        {
            await DisposeAsync(store, failures).ConfigureAwait(false);
        }

        foreach (var ledger in _otherLedgers)
        {
            await DisposeAsync(ledger, failures).ConfigureAwait(false);
        }

        await DisposeAsync(Ledger, failures).ConfigureAwait(false);
        if (failures.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0]);
        }
    }

    private static async Task DisposeAsync(object disposable, List<Exception> failures)
    {
        try
        {
            switch (disposable)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable syncDisposable:
                    syncDisposable.Dispose();
                    break;
            }
        }
#pragma warning disable CA1031 // Collected and rethrown once everything is disposed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failures.Add(ex);
        }
    }
}
