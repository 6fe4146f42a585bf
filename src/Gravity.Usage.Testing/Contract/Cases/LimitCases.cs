using System.Globalization;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// Sums are exact or refused clearly: a counter holds at most MaxCounterQuantity (what Stripe takes in one value), and a
/// period total that a long cannot hold is refused with a typed error naming the limit.
/// </summary>
internal sealed class LimitCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<LimitCases>("UsageMeter_MaxIncrementQuantityAboveMaxCounterQuantity_IsRefused", c => c.MaxIncrementAboveCapAsync()),
        Case<LimitCases>("IncrementAsync_IncrementPastMaxCounterQuantity_IsRefusedNamingQuantityAndLimit_CounterUnchanged", c => c.IncrementPastCapAsync()),
        Case<LimitCases>("GetAsync_TwoFullBucketsOfMaxIncrements_AreSummedExactly", c => c.TwoFullBucketsAsync()),
        Case<LimitCases>("GetTotalsAsync_BucketsTogetherPastLongMaxValue_AreRefusedWithOverflowNamingTheLimit_AndShorterPeriodsAreExact", c => c.PastLongMaxValueAsync()),
    ];

    private Task MaxIncrementAboveCapAsync()
    {
        var options = new UsageBillingOptions { MaxIncrementQuantity = long.MaxValue };

        var ex = Check.Throws<OptionsValidationException>(() => _ = new UsageMeter(Store.Ledger, Options.Create(options), Clock), "a meter allowing increments above the counter's limit");

        Check.True(ex.Failures.Any(f => f.Contains("MaxIncrementQuantity must be at least 1 and at most 999999999999999", StringComparison.Ordinal)), "the validation failures", "one naming MaxIncrementQuantity's range", ex.Failures);
        return Task.CompletedTask;
    }

    private async Task IncrementPastCapAsync()
    {
        var meter = CreateMeter(configure: o => o.MaxIncrementQuantity = Cap);
        await meter.IncrementAsync("acct", Cap - 10, cancellationToken: Cancellation);

        var ex = await Check.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 11, idempotencyKey: "k", cancellationToken: Cancellation), "an increment past the counter's limit");
        var afterRefusal = await TotalAsync("acct");
        var retry = await meter.IncrementAsync("acct", 10, idempotencyKey: "k", cancellationToken: Cancellation);

        Check.Equal("quantity", ex.ParamName, "the refusal's ParamName");
        Check.Contains(ex.Message, "would exceed 999999999999999", "the refusal's message");
        Check.Equal(Cap - 10, afterRefusal, "total after the refusal: counter unchanged");
        Check.Equal(IncrementOutcome.Recorded, retry, "a later use of the key: the refused increment did not keep it");
        Check.Equal(Cap, await TotalAsync("acct"), "total");
    }

    private async Task TwoFullBucketsAsync()
    {
        var meter = CreateMeter(configure: o => o.MaxIncrementQuantity = Cap);
        await meter.IncrementAsync("acct", Cap, timestamp: Start, cancellationToken: Cancellation);
        await meter.IncrementAsync("acct", Cap, timestamp: Start - Hour, cancellationToken: Cancellation);

        var summary = await meter.GetAsync("acct", Start - Hour, Start + Hour, cancellationToken: Cancellation);

        Check.Equal(2 * Cap, summary.GetMeter(Usage).Quantity, "the period's total");
    }

    private async Task PastLongMaxValueAsync()
    {
        // 9,300 full buckets hold 9.3e18, past long.MaxValue (9.22e18); the first 9,000 hold 9.0e18, which fits.
        const int buckets = 9_300;
        var increments = Enumerable.Range(0, buckets).Select(i => Increment("acct", Cap, bucketStart: Start + (i * Hour))).ToList();
        foreach (var chunk in increments.Chunk(3_000))
        {
            Check.All(await Store.Ledger.WriteAsync(chunk, Cancellation), UsageWriteStatus.Recorded, "statuses of the set-up");
        }

        var ex = await Check.ThrowsAsync<OverflowException>(() => Store.Ledger.GetTotalsAsync("acct", Start, Start + (buckets * Hour), null, Cancellation), "totals past long.MaxValue");
        var fits = await Store.Ledger.GetTotalsAsync("acct", Start, Start + (9_000 * Hour), Usage, Cancellation);

        Check.Contains(ex.Message, long.MaxValue.ToString(CultureInfo.InvariantCulture), "the overflow's message names the limit");
        Check.Contains(ex.Message, "9299999999999990700", "the overflow's message names the exact total");
        Check.Equal(9_000 * Cap, fits.Single().Quantity, "the total that fits");
    }
}
