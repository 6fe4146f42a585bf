namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// One rule for every identifying string: well-formed UTF-16, no control characters, not only white space or invisible
/// characters. Refused with the argument and the rule named, on writes and reads, nothing stored, and never at the
/// expense of the other callers of a batch.
/// </summary>
internal sealed class IdentifierCases(ContractRun run) : ContractSteps(run)
{
    private const string Rule = "well-formed UTF-16 (no unpaired surrogates), no NUL or other control characters, and not only white space or invisible format characters";

    /// <summary>Accounts that break the rule, by the name each case gives them.</summary>
    private static readonly (string Name, string Account)[] AccountsBreakingTheRule =
    [
        ("WithNul", "nul\0b"),
        ("WithUnpairedSurrogate", "x\uD800"),
        ("OnlyZeroWidthSpace", "\u200B"),
    ];

    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<IdentifierCases>("IncrementAsync_AccountWithNul_IsRefused", c => c.RefusedAsync("account", "poison\0x")),
        Case<IdentifierCases>("IncrementAsync_AccountWithUnpairedHighSurrogate_IsRefused", c => c.RefusedAsync("account", "poison\uD800")),
        Case<IdentifierCases>("IncrementAsync_AccountWithUnpairedLowSurrogate_IsRefused", c => c.RefusedAsync("account", "\uDC00poison")),
        Case<IdentifierCases>("IncrementAsync_AccountOnlyZeroWidthSpace_IsRefused", c => c.RefusedAsync("account", "\u200B")),
        Case<IdentifierCases>("IncrementAsync_AccountOnlyInvisibleCharacters_IsRefused", c => c.RefusedAsync("account", "\uFEFF \u200B\u2060")),
        Case<IdentifierCases>("IncrementAsync_AccountWithControlCharacter_IsRefused", c => c.RefusedAsync("account", "tab\there")),
        Case<IdentifierCases>("IncrementAsync_KeyWithNul_IsRefused", c => c.RefusedAsync("idempotencyKey", "poison\0x")),
        Case<IdentifierCases>("IncrementAsync_KeyWithUnpairedSurrogate_IsRefused", c => c.RefusedAsync("idempotencyKey", "poison\uD800")),
        Case<IdentifierCases>("IncrementAsync_KeyOnlyZeroWidthSpaces_IsRefused", c => c.RefusedAsync("idempotencyKey", "\u200B\u200B")),
        Case<IdentifierCases>("IncrementAsync_MeterWithNul_IsRefusedByTheRuleNotAsUndeclared", c => c.RefusedAsync("meter", "poison\0x")),
        .. AccountsBreakingTheRule.Select(a => Case<IdentifierCases>($"GetAsync_Account{a.Name}_IsRefusedNamingTheAccount", c => c.MeterReadRefusedAsync(a.Account))),
        .. AccountsBreakingTheRule.Select(a => Case<IdentifierCases>($"GetTotalsAsync_Account{a.Name}_IsRefusedByTheStoreItself", c => c.StoreReadRefusedAsync(a.Account))),
        Case<IdentifierCases>("IncrementAsync_KeysAndAccountsThatDifferOnlyInUnpairedSurrogates_AreNeverMerged", c => c.NeverMergedAsync()),
        Case<IdentifierCases>("IncrementAsync_OneCallersBadAccountAmong400GoodInOneBatch_OnlyThatCallerFails", c => c.OneBadCallerAsync()),
        .. AccountsBreakingTheRule.Select(a => Case<IdentifierCases>($"WriteAsync_IncrementWithAccount{a.Name}_IsRefusedByTheStoreItselfAndNothingIsStored", c => c.StoreWriteRefusedAsync(a.Account))),
    ];

    private async Task RefusedAsync(string argument, string value)
    {
        await Store.Ledger.EnsureSchemaAsync(Cancellation);
        var meter = CreateMeter();
        Task<IncrementOutcome> Act() => argument switch
        {
            "account" => meter.IncrementAsync(value, cancellationToken: Cancellation),
            "idempotencyKey" => meter.IncrementAsync("acct", idempotencyKey: value, cancellationToken: Cancellation),
            _ => meter.IncrementAsync("acct", meter: value, cancellationToken: Cancellation),
        };

        var ex = await Check.ThrowsAsync<UsageInputException>(Act, $"an increment whose {argument} breaks the rule");
        // The queue is first in, first out: had the refused call queued anything, it is committed before this.
        await meter.IncrementAsync("barrier", cancellationToken: Cancellation);

        Check.Equal(argument, ex.ParamName, "the refusal's ParamName");
        Check.Contains(ex.Message, Rule, "the refusal's message states the rule");
        Check.Equal(new[] { "barrier" }, (await CountersAsync()).Select(c => c.Account), "accounts with usage: nothing stored for the refused call");
        await CheckKeyCountAsync(0, "keys stored");
    }

    private async Task MeterReadRefusedAsync(string account)
    {
        var meter = CreateMeter();

        var totals = await Check.ThrowsAsync<UsageInputException>(() => meter.GetAsync(account, Start, Start + Hour, cancellationToken: Cancellation), "the meter's totals of the account");
        var series = await Check.ThrowsAsync<UsageInputException>(() => meter.GetSeriesAsync(account, Start, Start + Hour, cancellationToken: Cancellation), "the meter's series of the account");

        Check.Equal("account", totals.ParamName, "the totals' refusal's ParamName");
        Check.Contains(totals.Message, Rule, "the totals' refusal's message states the rule");
        Check.Equal("account", series.ParamName, "the series' refusal's ParamName");
    }

    private async Task StoreReadRefusedAsync(string account)
    {
        var totals = await Check.ThrowsAsync<UsageInputException>(() => Store.Ledger.GetTotalsAsync(account, Start, Start + Hour, null, Cancellation), "the store's totals of the account");
        var series = await Check.ThrowsAsync<UsageInputException>(() => Store.Ledger.GetSeriesAsync(account, Start, Start + Hour, Usage, Cancellation), "the store's series of the account");

        Check.Equal("account", totals.ParamName, "the totals' refusal's ParamName");
        Check.Contains(series.Message, Rule, "the series' refusal's message states the rule");
    }

    private async Task NeverMergedAsync()
    {
        var meter = CreateMeter();

        var highKey = await Check.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 1, idempotencyKey: "key\uD800", cancellationToken: Cancellation), "a key with an unpaired surrogate");
        var otherHighKey = await Check.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 1, idempotencyKey: "key\uD801", cancellationToken: Cancellation), "a key with another unpaired surrogate");
        var replacementKey = await meter.IncrementAsync("acct", 1, idempotencyKey: "key\uFFFD", cancellationToken: Cancellation);
        var highAccount = await Check.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acc\uD800", 2, cancellationToken: Cancellation), "an account with an unpaired surrogate");
        var otherHighAccount = await Check.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acc\uDBFF", 3, cancellationToken: Cancellation), "an account with another unpaired surrogate");
        await meter.IncrementAsync("acc\uFFFD", 4, cancellationToken: Cancellation);

        Check.All(new[] { highKey.ParamName, otherHighKey.ParamName }, "idempotencyKey", "the key refusals' ParamNames");
        Check.All(new[] { highAccount.ParamName, otherHighAccount.ParamName }, "account", "the account refusals' ParamNames");
        Check.Equal(IncrementOutcome.Recorded, replacementKey, "outcome of the key U+FFFD: a real character, and nothing else was stored as it");
        Check.Equal(1L, await TotalAsync("acct"), "total of acct");
        Check.Equal(4L, await TotalAsync("acc\uFFFD"), "total of the account U+FFFD: no other account's usage was merged into it");
    }

    private async Task OneBadCallerAsync()
    {
        var gate = new BatchRecordingStore(Store.Ledger);
        var meter = CreateMeter(gate);
        gate.Close();
        var calls = new List<Task<IncrementOutcome>>();
        for (var i = 0; i < 401; i++)
        {
            calls.Add(i == 200
                ? meter.IncrementAsync("poison\0x", 1, idempotencyKey: "k-poison", cancellationToken: Cancellation)
                : meter.IncrementAsync("acct", 1, idempotencyKey: $"k-{i}", cancellationToken: Cancellation));
        }

        gate.Open();
        try
        {
            await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60), Cancellation);
        }
        catch (Exception) when (calls.Any(c => c.IsFaulted))
        {
            // Checked below, call by call.
        }

        var failed = calls.Select((c, i) => (Call: c, Index: i)).Where(c => !c.Call.IsCompletedSuccessfully).Select(c => c.Index).ToList();
        var error = calls[200].Exception?.InnerException;
        Check.Equal(new[] { 200 }, failed.ToArray(), "the calls that failed: only the bad caller");
        Check.True(error is UsageInputException { ParamName: "account" }, "the bad caller's error", "a UsageInputException naming account", error?.GetType().Name + ": " + error?.Message);
        Check.Equal(400L, await TotalAsync("acct"), "total of the good callers");
    }

    private async Task StoreWriteRefusedAsync(string account)
    {
        await Store.Ledger.EnsureSchemaAsync(Cancellation);
        var ex = await Check.ThrowsAsync<UsageInputException>(() => Store.Ledger.WriteAsync([Increment("good", 1, "k"), Increment(account, 1, "k")], Cancellation), "a batch with an increment whose account breaks the rule");

        Check.Equal("increments", ex.ParamName, "the refusal's ParamName");
        Check.Contains(ex.Message, "Increment 1 of the batch", "the refusal's message names the increment");
        Check.Contains(ex.Message, Rule, "the refusal's message states the rule");
        Check.Empty(await CountersAsync(), "counters with usage: nothing stored, not even the good increment");
        await CheckKeyCountAsync(0, "keys stored");
        Check.Equal(new[] { UsageWriteStatus.Recorded }, await Store.Ledger.WriteAsync([Increment("good", 1, "k")], Cancellation), "a later write of the good increment: its key was not kept");
    }
}
