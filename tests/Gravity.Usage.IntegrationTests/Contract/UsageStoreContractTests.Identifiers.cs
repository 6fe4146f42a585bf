using Gravity.Usage.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// One rule for every identifying string (issue 8, F1, F2): well-formed UTF-16, no control characters, not only white
/// space or invisible characters. Refused with the argument and the rule named, on writes and reads, nothing stored,
/// and never at the expense of the other callers of a batch.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private const string Rule = "well-formed UTF-16 (no unpaired surrogates), no NUL or other control characters, and not only white space or invisible format characters";

    private static readonly TestCaseData[] IdentifiersBreakingTheRule =
    [
        new TestCaseData("account", "poison\0x").SetName("IncrementAsync_AccountWithNul_IsRefused"),
        new TestCaseData("account", "poison\uD800").SetName("IncrementAsync_AccountWithUnpairedHighSurrogate_IsRefused"),
        new TestCaseData("account", "\uDC00poison").SetName("IncrementAsync_AccountWithUnpairedLowSurrogate_IsRefused"),
        new TestCaseData("account", "\u200B").SetName("IncrementAsync_AccountOnlyZeroWidthSpace_IsRefused"),
        new TestCaseData("account", "\uFEFF \u200B\u2060").SetName("IncrementAsync_AccountOnlyInvisibleCharacters_IsRefused"),
        new TestCaseData("account", "tab\there").SetName("IncrementAsync_AccountWithControlCharacter_IsRefused"),
        new TestCaseData("idempotencyKey", "poison\0x").SetName("IncrementAsync_KeyWithNul_IsRefused"),
        new TestCaseData("idempotencyKey", "poison\uD800").SetName("IncrementAsync_KeyWithUnpairedSurrogate_IsRefused"),
        new TestCaseData("idempotencyKey", "\u200B\u200B").SetName("IncrementAsync_KeyOnlyZeroWidthSpaces_IsRefused"),
        new TestCaseData("meter", "poison\0x").SetName("IncrementAsync_MeterWithNul_IsRefusedByTheRuleNotAsUndeclared"),
    ];

    [TestCaseSource(nameof(IdentifiersBreakingTheRule))]
    public async Task IncrementAsync_IdentifierBreakingTheRule_IsRefusedNamingArgumentAndRule(string argument, string value)
    {
        await Store.Ledger.EnsureSchemaAsync();
        var meter = CreateMeter();
        Task<IncrementOutcome> Act() => argument switch
        {
            "account" => meter.IncrementAsync(value),
            "idempotencyKey" => meter.IncrementAsync("acct", idempotencyKey: value),
            _ => meter.IncrementAsync("acct", meter: value),
        };

        var ex = Assert.ThrowsAsync<UsageInputException>(Act)!;
        // The queue is first in, first out: had the refused call queued anything, it is committed before this.
        await meter.IncrementAsync("barrier");

        Assert.Multiple(async () =>
        {
            Assert.That(ex.ParamName, Is.EqualTo(argument));
            Assert.That(ex.Message, Does.Contain(Rule));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_counter")} WHERE account <> 'barrier'"), Is.Zero, "no counter");
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_idempotency_hash")}"), Is.Zero, "no key");
        });
    }

    // Built in code, not in attributes: attribute strings are stored as UTF-8, which turns an unpaired surrogate into U+FFFD.
    private static readonly string[] AccountsBreakingTheRule = ["nul\0b", "x\uD800", "\u200B"];

    [TestCaseSource(nameof(AccountsBreakingTheRule))]
    public void GetAsync_AccountBreakingTheRule_IsRefusedNamingTheAccount(string account)
    {
        var meter = CreateMeter();

        var totals = Assert.ThrowsAsync<UsageInputException>(() => meter.GetAsync(account, Start, Start + Hour))!;
        var series = Assert.ThrowsAsync<UsageInputException>(() => meter.GetSeriesAsync(account, Start, Start + Hour))!;

        Assert.Multiple(() =>
        {
            Assert.That(totals.ParamName, Is.EqualTo("account"));
            Assert.That(totals.Message, Does.Contain(Rule));
            Assert.That(series.ParamName, Is.EqualTo("account"));
        });
    }

    [TestCaseSource(nameof(AccountsBreakingTheRule))]
    public void GetTotalsAsync_AccountBreakingTheRule_IsRefusedByTheStoreItself(string account)
    {
        var totals = Assert.ThrowsAsync<UsageInputException>(() => Store.Ledger.GetTotalsAsync(account, Start, Start + Hour, null))!;
        var series = Assert.ThrowsAsync<UsageInputException>(() => Store.Ledger.GetSeriesAsync(account, Start, Start + Hour, Usage))!;

        Assert.Multiple(() =>
        {
            Assert.That(totals.ParamName, Is.EqualTo("account"));
            Assert.That(series.Message, Does.Contain(Rule));
        });
    }

    [Test]
    public async Task IncrementAsync_KeysAndAccountsThatDifferOnlyInUnpairedSurrogates_AreNeverMerged()
    {
        var meter = CreateMeter();

        var highKey = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 1, idempotencyKey: "key\uD800"))!;
        var otherHighKey = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 1, idempotencyKey: "key\uD801"))!;
        var replacementKey = await meter.IncrementAsync("acct", 1, idempotencyKey: "key\uFFFD");
        var highAccount = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acc\uD800", 2))!;
        var otherHighAccount = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acc\uDBFF", 3))!;
        await meter.IncrementAsync("acc\uFFFD", 4);

        Assert.Multiple(async () =>
        {
            Assert.That(new[] { highKey.ParamName, otherHighKey.ParamName }, Is.All.EqualTo("idempotencyKey"));
            Assert.That(new[] { highAccount.ParamName, otherHighAccount.ParamName }, Is.All.EqualTo("account"));
            Assert.That(replacementKey, Is.EqualTo(IncrementOutcome.Recorded), "U+FFFD itself is a real character, and nothing else was stored as it");
            Assert.That(await TotalAsync("acct"), Is.EqualTo(1));
            Assert.That(await TotalAsync("acc\uFFFD"), Is.EqualTo(4), "no other account's usage was merged into it");
        });
    }

    [Test]
    public async Task IncrementAsync_OneCallersBadAccountAmong400GoodInOneBatch_OnlyThatCallerFails()
    {
        var gate = new GatedUsageStore(Store.Ledger);
        var meter = CreateMeter(gate);
        gate.Close();
        var calls = new List<Task<IncrementOutcome>>();
        for (var i = 0; i < 401; i++)
        {
            calls.Add(i == 200 ? meter.IncrementAsync("poison\0x", 1, idempotencyKey: "k-poison") : meter.IncrementAsync("acct", 1, idempotencyKey: $"k-{i}"));
        }

        gate.Open();
        try
        {
            await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception) when (calls.Any(c => c.IsFaulted))
        {
            // Asserted below, call by call.
        }

        var failed = calls.Select((c, i) => (Call: c, Index: i)).Where(c => !c.Call.IsCompletedSuccessfully).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(failed.Select(f => f.Index), Is.EqualTo(new[] { 200 }), "only the bad caller fails");
            Assert.That(calls[200].Exception?.InnerException, Is.InstanceOf<UsageInputException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("account"));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(400));
        });
    }

    [TestCaseSource(nameof(AccountsBreakingTheRule))]
    public async Task WriteAsync_IncrementBreakingTheRule_IsRefusedByTheStoreItselfAndNothingIsStored(string account)
    {
        await Store.Ledger.EnsureSchemaAsync();
        var ex = Assert.ThrowsAsync<UsageInputException>(() => Store.Ledger.WriteAsync([Increment("good", 1, "k"), Increment(account, 1, "k")]))!;

        Assert.Multiple(async () =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("increments"));
            Assert.That(ex.Message, Does.Contain("Increment 1 of the batch").And.Contain(Rule));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_counter")}"), Is.Zero);
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_idempotency_hash")}"), Is.Zero);
        });
    }

    /// <summary>A meter on <paramref name="store"/> (the test's store when null) that declares "tokens"; disposed before the store.</summary>
    private UsageMeter CreateMeter(IUsageStore? store = null)
    {
        var options = new UsageBillingOptions();
        options.Meters["tokens"] = new MeterOptions();
        var meter = new UsageMeter(store ?? Store.Ledger, Options.Create(options), Clock);
        _meters.Add(meter);
        return meter;
    }
}
