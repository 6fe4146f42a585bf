namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// One batch holding every kind of call at once (issue 11, item 3): PostgreSQL sends the common batch in one round
/// trip and judges this one statement by statement; every provider gives each call the same status.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    // Fingerprints of two calls that differ in their quantities (the bits a fingerprint keeps them in).
    private const long OneCall = 1L << 20;
    private const long AnotherCall = 2L << 20;

    [Test]
    public async Task WriteAsync_NewRecordedBeforeConflictingRepeatedMultiMeterAndOverflowingCallsInOneBatch_EachCallGetsItsStatus()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 3, key: "seen") with { Fingerprint = OneCall },
            Increment("acct", 3, key: "seen-other") with { Fingerprint = OneCall },
            Increment("full", UsageBillingOptions.MaxCounterQuantity - 5),
            Increment("full", UsageBillingOptions.MaxCounterQuantity - 5, meter: Tokens),
        ]);

        UsageIncrement[] batch =
        [
            Increment("acct", 1, key: "new-1") with { Fingerprint = OneCall },          // 0: new
            Increment("acct", 2, key: "seen") with { Fingerprint = OneCall },           // 1: recorded before, same call
            Increment("acct", 4, key: "seen-other") with { Fingerprint = AnotherCall },     // 2: recorded before, another call
            Increment("acct", 1, key: "new-1") with { Fingerprint = OneCall },          // 3: repeats 0 in the batch
            Increment("full", 1, key: "call", meter: ApiCalls) with { PartIndex = 0, PartCount = 2 }, // 4, 5: one part overflows
            Increment("full", 6, key: "call", meter: Tokens) with { PartIndex = 1, PartCount = 2 },
            Increment("full", 10),                                                 // 6: overflows alone
            Increment("acct", 16),                                                 // 7: no key
            Increment("acct", 32, key: "new-2"),                                   // 8: new
        ];

        var statuses = await Store.Ledger.WriteAsync(batch);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[]
            {
                UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate, UsageWriteStatus.Conflict, UsageWriteStatus.Duplicate,
                UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow,
                UsageWriteStatus.Recorded, UsageWriteStatus.Recorded,
            }));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(3 + 3 + 1 + 16 + 32), "only the recorded calls counted");
            Assert.That(await TotalAsync("full", ApiCalls), Is.Zero, "the refused call's other part taken back");
            Assert.That(await TotalAsync("full", Tokens), Is.EqualTo(UsageBillingOptions.MaxCounterQuantity - 5));
            Assert.That(await Store.Ledger.WriteAsync([Increment("full", 1, key: "call", meter: ApiCalls)]), Is.EqualTo(new[] { UsageWriteStatus.Recorded }), "the refused call's key released");
        });
    }

    [Test]
    public async Task WriteAsync_SameKeyedBatchTwice_SecondIsAllDuplicatesAndCountsNothing()
    {
        var batch = Enumerable.Range(0, 40).Select(i => Increment($"a{i % 3}", 1 + i, key: $"k-{i}")).ToArray();

        var first = await Store.Ledger.WriteAsync(batch);
        var second = await Store.Ledger.WriteAsync(batch);

        Assert.Multiple(async () =>
        {
            Assert.That(first, Is.All.EqualTo(UsageWriteStatus.Recorded));
            Assert.That(second, Is.All.EqualTo(UsageWriteStatus.Duplicate));
            Assert.That(await TotalAsync("a0") + await TotalAsync("a1") + await TotalAsync("a2"), Is.EqualTo(Enumerable.Range(1, 40).Sum()));
        });
    }
}
