using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// What the cases share: the run's store and clock, and the steps a meter or a reporter takes, written once. Each area of
/// the contract derives from it and lists its cases.
/// </summary>
internal abstract class ContractSteps(ContractRun run)
{
    protected const string Usage = UsageBillingOptions.DefaultMeterName;
    protected const string ApiCalls = "api_calls";
    protected const string Tokens = "tokens";
    protected const long Cap = UsageBillingOptions.MaxCounterQuantity;

    protected static readonly DateTimeOffset Start = ContractRun.Start;
    protected static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    protected static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    protected ContractRun Run { get; } = run;

    protected ContractStore Store => Run.Store;

    protected FakeTimeProvider Clock => Run.Clock;

    protected CancellationToken Cancellation => Run.CancellationToken;

    /// <summary>A case named <paramref name="name"/> whose body runs on a new <typeparamref name="TSteps"/>.</summary>
    protected static UsageStoreContractCase Case<TSteps>(string name, Func<TSteps, Task> body)
        where TSteps : ContractSteps =>
        new(name, run => body((TSteps)Activator.CreateInstance(typeof(TSteps), run)!));

    /// <summary>Another store on the case's ledger, with its own connections, as another process would have.</summary>
    protected ContractStore OpenStore(TimeProvider? clock = null) => Run.OpenStore(clock: clock);

    protected UsageIncrement Increment(string account, long quantity, string? key = null, string meter = Usage, DateTimeOffset? bucketStart = null) =>
        new(account, meter, bucketStart ?? Start, quantity, key, Clock.GetUtcNow());

    /// <summary>The increments of one multi-meter call with a key, as the meter hands them to the store (meter order, one fingerprint).</summary>
    protected UsageIncrement[] Call(string account, string key, params (string Meter, long Quantity)[] parts)
    {
        var ordered = parts.OrderBy(p => p.Meter, StringComparer.Ordinal).ToArray();
        var fingerprint = IdempotencyFingerprint.Compute(ordered.Select(p => UsagePart.Increment(p.Meter, p.Quantity)).ToList(), Start, timestampGiven: true);
        return [.. ordered.Select((p, i) => Increment(account, p.Quantity, key, p.Meter) with { Fingerprint = fingerprint, PartIndex = i, PartCount = ordered.Length })];
    }

    /// <summary>A keyed increment on its own, with the fingerprint the meter would give it.</summary>
    protected UsageIncrement Keyed(string account, long quantity, string key, string meter = Usage, DateTimeOffset? bucketStart = null) =>
        Increment(account, quantity, key, meter, bucketStart) with { Fingerprint = IdempotencyFingerprint.Compute(meter, quantity, bucketStart ?? Start, timestampGiven: true) };

    protected async Task<long> TotalAsync(string account, string meter = Usage, ContractStore? store = null)
    {
        var totals = await (store ?? Store).Ledger.GetTotalsAsync(account, Start.AddYears(-1), Start.AddYears(1), meter, Cancellation).ConfigureAwait(false);
        return totals.Count == 0 ? 0 : totals.Single().Quantity;
    }

    protected async Task<IReadOnlyList<UsageReport>> ReportsAsync(UsageReportStatus? status = null, string? account = null) =>
        await Store.Reports.ListReportsAsync(new UsageReportQuery { Status = status, Account = account, Limit = 100_000 }, Cancellation).ConfigureAwait(false);

    protected Task<IReadOnlyList<UsageReport>> CloseAsync(string account, string meter = Usage, DateTimeOffset? bucketStart = null, string? skipReason = null)
    {
        var start = bucketStart ?? Start;
        return Store.Reports.CloseAsync([new ReportClosing(account, meter, start, start + Hour, skipReason)], Clock.GetUtcNow(), Cancellation);
    }

    /// <summary>The identifier the store must give a report, derived from the ledger id it installed.</summary>
    protected async Task<string> IdentifierAsync(string account, string meter, DateTimeOffset bucket, long reportedBefore, long quantity) =>
        ReportIdentifier.Create(await Run.Ledger.ReadLedgerIdAsync(Cancellation).ConfigureAwait(false), account, meter, bucket.ToUnixTimeSeconds(), reportedBefore, quantity);

    /// <summary>One pending report per account acct0, acct1, …, closed in that order and due at <see cref="Start"/>.</summary>
    protected async Task<IReadOnlyList<UsageReport>> PendingReportsAsync(int count)
    {
        await Store.Ledger.WriteAsync(Enumerable.Range(0, count).Select(i => Increment($"acct{i}", i + 1)).ToList(), Cancellation).ConfigureAwait(false);
        var closed = await Store.Reports.CloseAsync(
            Enumerable.Range(0, count).Select(i => new ReportClosing($"acct{i}", Usage, Start, Start + Hour, null)).ToList(),
            Start,
            Cancellation).ConfigureAwait(false);
        Check.Equal(count, closed.Count, "reports closed for the set-up");
        return closed;
    }

    /// <summary>The counters holding usage not yet reported, whatever their account: what a refused call must not have left.</summary>
    protected async Task<IReadOnlyList<UnreportedUsage>> CountersAsync() =>
        await Store.Reports.GetUnreportedAsync(Start.AddYears(1), null, 100_000, Cancellation).ConfigureAwait(false);

    /// <summary>Checks the number of idempotency keys stored, when the ledger can count them (see <see cref="UsageStoreContractLedger.CountIdempotencyKeysAsync"/>).</summary>
    protected async Task CheckKeyCountAsync(long expected, string what)
    {
        if (await Run.Ledger.CountIdempotencyKeysAsync(Cancellation).ConfigureAwait(false) is { } count)
        {
            Check.Equal(expected, count, what);
        }
    }

    protected static UsageBillingOptions ChatBilling()
    {
        var options = new UsageBillingOptions();
        options.Meters[ApiCalls] = new MeterOptions();
        options.Meters[Tokens] = new MeterOptions();
        return options;
    }

    /// <summary>A meter declaring api_calls and tokens on <paramref name="store"/> (the case's store when null); disposed before the store.</summary>
    protected UsageMeter CreateChatMeter(IUsageStore? store = null) =>
        Run.Track(new UsageMeter(store ?? Store.Ledger, Options.Create(ChatBilling()), Clock));

    /// <summary>A meter declaring api_calls and tokens on <paramref name="store"/> with its own clock and key retention.</summary>
    protected UsageMeter CreateChatMeter(IUsageStore store, TimeProvider clock, TimeSpan retention)
    {
        var options = ChatBilling();
        options.IdempotencyKeyRetention = retention;
        return Run.Track(new UsageMeter(store, Options.Create(options), clock));
    }

    /// <summary>A meter on <paramref name="store"/> (the case's store when null) declaring "tokens", changed by <paramref name="configure"/>.</summary>
    protected UsageMeter CreateMeter(IUsageStore? store = null, Action<UsageBillingOptions>? configure = null)
    {
        var options = new UsageBillingOptions();
        options.Meters[Tokens] = new MeterOptions();
        configure?.Invoke(options);
        return Run.Track(new UsageMeter(store ?? Store.Ledger, Options.Create(options), Clock));
    }
}
