using Microsoft.Extensions.Options;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// Several meters in one call: a chat request records <c>api_calls</c> +1 and <c>tokens</c> +N all or nothing, in one
/// transaction, under one idempotency key.
/// </summary>
internal sealed class MultiMeterCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<MultiMeterCases>("RecordAsync_ChatRequest_RecordsBothMetersInOneCommit", c => c.ChatRequestAsync()),
        Case<MultiMeterCases>("RecordAsync_UnknownMeterInOnePart_RefusesAllAndStoresNothing", c => c.OneBadPartAsync("unknown", 5, "parts[1]", "not a declared meter")),
        Case<MultiMeterCases>("RecordAsync_ZeroTokensInOnePart_RefusesAllAndStoresNothing", c => c.OneBadPartAsync(Tokens, 0, "parts[1]", "at least 1")),
        Case<MultiMeterCases>("RecordAsync_NegativeQuantityInOnePart_RefusesAllAndStoresNothing", c => c.OneBadPartAsync(Tokens, -3, "parts[1]", "at least 1")),
        Case<MultiMeterCases>("RecordAsync_SameMeterTwice_RefusesAllAndStoresNothing", c => c.OneBadPartAsync(ApiCalls, 2, "parts[1] names meter 'api_calls' again", "once")),
        Case<MultiMeterCases>("RecordAsync_NoPartsOrANullPartOrABadTimestamp_RefusedNamingTheArgument", c => c.BadArgumentsAsync()),
        Case<MultiMeterCases>("RecordAsync_OnePartWouldOverflow_RefusesAllStoresNothingAndReleasesTheKey", c => c.OnePartOverflowsAsync()),
        Case<MultiMeterCases>("WriteAsync_CallWhosePartOverflowsInABatchWithOtherIncrements_OnlyThatCallIsRefusedWhole", c => c.CallOverflowsInABatchAsync()),
        Case<MultiMeterCases>("RecordAsync_KeyRepeated_DuplicateAndNothingCountedTwice_InAnyPartOrderAndAfterAnHourBoundary", c => c.KeyRepeatedAsync()),
        Case<MultiMeterCases>("RecordAsync_ConcurrentCallers_EachCallWholeAndARepeatedKeyCountedOnce", c => c.ConcurrentCallersAsync()),
        Case<MultiMeterCases>("RecordAsync_ThenReport_TheReporterSendsBothMeters", c => c.ThenReportAsync()),
    ];

    private async Task ChatRequestAsync()
    {
        var recording = new BatchRecordingStore(Store.Ledger);
        var meter = CreateChatMeter(recording);

        var outcome = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1", cancellationToken: Cancellation);

        Check.Equal(IncrementOutcome.Recorded, outcome, "outcome");
        Check.Equal(1, recording.Batches.Count, "commits the call took");
        Check.Equal(new[] { ApiCalls, Tokens }, recording.Batches.Single().Select(i => i.Meter), "meters of the one batch");
        Check.Equal(1L, await TotalAsync("acct", ApiCalls), "total on api_calls");
        Check.Equal(812L, await TotalAsync("acct", Tokens), "total on tokens");
        await CheckKeyCountAsync(2, "keys stored: the key, remembered for each part's meter");
    }

    private async Task OneBadPartAsync(string secondMeter, long secondQuantity, string namesPart, string rule)
    {
        await Store.Ledger.EnsureSchemaAsync(Cancellation);
        var meter = CreateChatMeter();

        var ex = await Check.ThrowsAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(secondMeter, secondQuantity)], idempotencyKey: "req-1", cancellationToken: Cancellation), "a call with one bad part");
        await meter.DisposeAsync();

        Check.Equal("parts", ex.ParamName, "the refusal's ParamName");
        Check.Contains(ex.Message, namesPart, "the refusal's message names the part");
        Check.Contains(ex.Message, rule, "the refusal's message names the rule");
        Check.Empty(await CountersAsync(), "counters with usage");
        await CheckKeyCountAsync(0, "keys stored");
        var retry = await CreateChatMeter().RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 2)], idempotencyKey: "req-1", cancellationToken: Cancellation);
        Check.Equal(IncrementOutcome.Recorded, retry, "a good call with the refused call's key: no key was kept");
    }

    private async Task BadArgumentsAsync()
    {
        await Store.Ledger.EnsureSchemaAsync(Cancellation);
        var meter = CreateChatMeter();

        var empty = await Check.ThrowsAsync<ArgumentException>(() => meter.RecordAsync("acct", [], cancellationToken: Cancellation), "a call without parts");
        var nullPart = await Check.ThrowsAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), null!], cancellationToken: Cancellation), "a call with a null part");
        var future = await Check.ThrowsAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1)], timestamp: Start.AddHours(1), cancellationToken: Cancellation), "a call in the future");
        var badKey = await Check.ThrowsAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1)], idempotencyKey: "\0", cancellationToken: Cancellation), "a call with a bad key");
        await meter.DisposeAsync();

        Check.Equal(("parts", "parts", "timestamp", "idempotencyKey"), (empty.ParamName, nullPart.ParamName, future.ParamName, badKey.ParamName), "the refusals' ParamNames");
        Check.Contains(nullPart.Message, "parts[1]", "the null part's refusal names it");
        Check.Empty(await CountersAsync(), "counters with usage");
    }

    private async Task OnePartOverflowsAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", Cap - 5, meter: Tokens)], Cancellation);
        var meter = CreateChatMeter();

        var ex = await Check.ThrowsAsync<UsageInputException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 10)], idempotencyKey: "req-1", cancellationToken: Cancellation), "a call whose tokens part overflows");
        var apiCallsAfterRefusal = await TotalAsync("acct", ApiCalls);
        await CheckKeyCountAsync(0, "keys stored after the refusal: the key was released");
        var retry = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 5)], idempotencyKey: "req-1", cancellationToken: Cancellation);

        Check.Equal("parts", ex.ParamName, "the refusal's ParamName");
        Check.Contains(ex.Message, "MaxCounterQuantity", "the refusal's message");
        Check.Equal(0L, apiCallsAfterRefusal, "total on api_calls after the refusal: the part was not counted");
        Check.Equal(IncrementOutcome.Recorded, retry, "a retry that fits, with the same key");
        Check.Equal(1L, await TotalAsync("acct", ApiCalls), "total on api_calls");
        Check.Equal(Cap, await TotalAsync("acct", Tokens), "total on tokens");
    }

    private async Task CallOverflowsInABatchAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", Cap - 5, meter: Tokens)], Cancellation);

        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("acct", 2, meter: ApiCalls),
            .. Call("acct", "req-1", (ApiCalls, 1), (Tokens, 10)),
            Increment("acct", 3, meter: Tokens),
            .. Call("other", "req-1", (ApiCalls, 1), (Tokens, 10)),
        ], Cancellation);

        Check.Equal(
            new[]
            {
                UsageWriteStatus.Recorded,
                UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow,
                UsageWriteStatus.Recorded,
                UsageWriteStatus.Recorded, UsageWriteStatus.Recorded,
            },
            statuses,
            "statuses");
        Check.Equal(2L, await TotalAsync("acct", ApiCalls), "total of acct on api_calls: the refused call's part was taken back");
        Check.Equal(Cap - 2, await TotalAsync("acct", Tokens), "total of acct on tokens");
        Check.Equal(10L, await TotalAsync("other", Tokens), "total of other on tokens");
        await CheckKeyCountAsync(2, "keys stored: only the other account's call keeps its keys");
        var retry = await Store.Ledger.WriteAsync(Call("acct", "req-1", (ApiCalls, 1), (Tokens, 2)), Cancellation);
        Check.Equal(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Recorded }, retry, "a later call with the refused call's key: the key was released");
    }

    private async Task KeyRepeatedAsync()
    {
        var meter = CreateChatMeter();

        var first = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1", cancellationToken: Cancellation);
        var reordered = await meter.RecordAsync("acct", [UsagePart.Increment(Tokens, 812), UsagePart.Increment(ApiCalls, 1)], idempotencyKey: "req-1", cancellationToken: Cancellation);
        Clock.Advance(Hour);
        var nextHour = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1", cancellationToken: Cancellation);

        Check.Equal(new[] { IncrementOutcome.Recorded, IncrementOutcome.Duplicate, IncrementOutcome.Duplicate }, new[] { first, reordered, nextHour }, "outcomes of the call, a reordered retry and a retry an hour later");
        Check.Equal(1L, await TotalAsync("acct", ApiCalls), "total on api_calls");
        Check.Equal(812L, await TotalAsync("acct", Tokens), "total on tokens");
    }

    private async Task ConcurrentCallersAsync()
    {
        var meter = CreateChatMeter();
        using var go = new ManualResetEventSlim();
        var distinct = Enumerable.Range(0, 48).Select(i => Task.Run(() =>
        {
            go.Wait(Cancellation);
            return meter.RecordAsync($"acct{i % 4}", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, i + 1)], idempotencyKey: $"req-{i}", cancellationToken: Cancellation);
        })).ToArray();
        var sameKey = Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            go.Wait(Cancellation);
            return meter.RecordAsync("shared", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 100)], idempotencyKey: "req-shared", cancellationToken: Cancellation);
        })).ToArray();

        go.Set();
        var distinctOutcomes = await Task.WhenAll(distinct);
        var sameKeyOutcomes = await Task.WhenAll(sameKey);

        Check.All(distinctOutcomes, IncrementOutcome.Recorded, "outcomes of the calls with distinct keys");
        Check.Equal(1, sameKeyOutcomes.Count(o => o == IncrementOutcome.Recorded), "calls with the shared key recorded");
        for (var a = 0; a < 4; a++)
        {
            Check.Equal(12L, await TotalAsync($"acct{a}", ApiCalls), $"total of acct{a} on api_calls");
            Check.Equal(Enumerable.Range(0, 48).Where(i => i % 4 == a).Sum(i => i + 1L), await TotalAsync($"acct{a}", Tokens), $"total of acct{a} on tokens");
        }

        Check.Equal(1L, await TotalAsync("shared", ApiCalls), "total of shared on api_calls");
        Check.Equal(100L, await TotalAsync("shared", Tokens), "total of shared on tokens");
    }

    private async Task ThenReportAsync()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1" }, Cancellation);
        var billing = ChatBilling();
        billing.Meters[Tokens].StripeEventName = "llm_tokens";
        var meter = Run.Track(new UsageMeter(Store.Ledger, Options.Create(billing), Clock));
        var sink = new ContractSink();
        var reporter = new UsageReporter(Store.Reports, sink, new StoreAccountResolver(Store.Accounts), Options.Create(billing), Options.Create(new UsageReportingOptions()), Clock);

        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1", cancellationToken: Cancellation);
        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 188)], idempotencyKey: "req-2", cancellationToken: Cancellation);
        Clock.Advance(Hour + TimeSpan.FromMinutes(5));
        var run = await reporter.ReportAsync(Cancellation);

        Check.Equal(2, run.Sent, "reports sent: one per meter");
        Check.Equal(2L, sink.Total("cus_1", ApiCalls), "api_calls delivered");
        Check.Equal(1000L, sink.Total("cus_1", "llm_tokens"), "tokens delivered under their Stripe event name");
    }
}
