using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.Testing.Contract;

/// <summary>The account mapping, plan changes that close usage under the old plan, and the whole loop through dependency injection.</summary>
internal sealed class AccountCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<AccountCases>("SaveAccountAsync_NewThenChangedMapping_CreatesThenReplacesItWithItsItems", c => c.NewThenChangedAsync()),
        Case<AccountCases>("SaveAccountAsync_CustomerIdWithNul_IsRefusedNamingItAndTheMappingIsUntouched", c => c.RefusedAsync("cus_\0x", null, "A Stripe customer id")),
        Case<AccountCases>("SaveAccountAsync_CustomerIdWithUnpairedSurrogate_IsRefusedNamingItAndTheMappingIsUntouched", c => c.RefusedAsync("cus_\uD800", null, "A Stripe customer id")),
        Case<AccountCases>("SaveAccountAsync_CustomerIdOnlyWhiteSpace_IsRefusedNamingItAndTheMappingIsUntouched", c => c.RefusedAsync("   ", null, "A Stripe customer id")),
        Case<AccountCases>("SaveAccountAsync_SubscriptionItemWithControlCharacter_IsRefusedNamingItAndTheMappingIsUntouched", c => c.RefusedAsync("cus_ok", "si_\u0007", "A Stripe subscription item id")),
        Case<AccountCases>("SaveAccountAsync_SubscriptionItemOnlyZeroWidthSpace_IsRefusedNamingItAndTheMappingIsUntouched", c => c.RefusedAsync("cus_ok", "\u200B", "A Stripe subscription item id")),
        Case<AccountCases>("SaveAccountAsync_PlanChanges_CloseTheUsageSoFarUnderTheOldPlan", c => c.PlanChangesAsync()),
        Case<AccountCases>("AddUsageBilling_MeterAndReporterWithAScriptedSink_WorkEndToEnd", c => c.EndToEndAsync()),
    ];

    private async Task NewThenChangedAsync()
    {
        await Store.Accounts.SaveAccountAsync(
            new UsageAccount("acct")
            {
                StripeCustomerId = "cus_1",
                SubscriptionItems = new Dictionary<string, string> { [Usage] = "si_1", [Tokens] = "si_2" },
            },
            Cancellation);
        var created = await Store.Accounts.GetAccountAsync("acct", Cancellation);
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_2", SubscriptionItems = new Dictionary<string, string> { [Tokens] = "si_3" } }, Cancellation);
        var replaced = await Store.Accounts.GetAccountAsync("acct", Cancellation);

        Check.True(created is not null, "the created account", "an account", created);
        Check.Equal("cus_1", created!.StripeCustomerId, "the created account's customer");
        Check.Equal(true, created.Billable, "the created account's Billable");
        Check.Equivalent(new Dictionary<string, string> { [Usage] = "si_1", [Tokens] = "si_2" }, created.SubscriptionItems, "the created account's items");
        Check.True(replaced is not null, "the replaced account", "an account", replaced);
        Check.Equal("cus_2", replaced!.StripeCustomerId, "the replaced account's customer");
        Check.Equivalent(new Dictionary<string, string> { [Tokens] = "si_3" }, replaced.SubscriptionItems, "the replaced account's items");
        Check.Equal(null, await Store.Accounts.GetAccountAsync("nobody", Cancellation), "an account never saved");
    }

    private async Task RefusedAsync(string customer, string? item, string what)
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_before" }, Cancellation);
        var bad = new UsageAccount("acct")
        {
            StripeCustomerId = customer,
            SubscriptionItems = item is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [Usage] = item },
        };

        var exception = await Check.ThrowsAsync<UsageInputException>(() => Store.Accounts.SaveAccountAsync(bad, Cancellation), "saving the bad mapping");

        var stored = await Store.Accounts.GetAccountAsync("acct", Cancellation);
        Check.Equal("account", exception.ParamName, "the refusal's ParamName");
        Check.True(exception.Message.StartsWith(what, StringComparison.Ordinal), "the refusal's message", $"a text starting \"{what}\"", exception.Message);
        Check.Equal("cus_before", stored?.StripeCustomerId, "the stored customer: untouched");
        Check.Empty(stored?.SubscriptionItems ?? new Dictionary<string, string>(), "the stored items: untouched");
    }

    private async Task PlanChangesAsync()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", Billable = false }, Cancellation);
        await Store.Ledger.WriteAsync([Increment("acct", 5)], Cancellation);
        Clock.Advance(TimeSpan.FromMinutes(30));

        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", Billable = true }, Cancellation);
        var upgraded = await Store.Accounts.GetAccountAsync("acct", Cancellation);
        await Store.Ledger.WriteAsync([Increment("acct", 7)], Cancellation);
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", Billable = false }, Cancellation);

        var reports = await ReportsAsync();
        string[] identifiers = [await IdentifierAsync("acct", Usage, Start, 0, 5), await IdentifierAsync("acct", Usage, Start, 5, 7)];
        Check.Equal(Start.AddMinutes(30), upgraded?.BillableSince, "BillableSince: billable since the change");
        Check.Equal(
            new[] { (5L, UsageReportStatus.Skipped, (string?)BillingPlan.NotBillable), (7L, UsageReportStatus.Pending, null) },
            reports.Select(r => (r.Quantity, r.Status, r.LastError)),
            "reports closed by the plan changes");
        Check.Equal(identifiers, reports.Select(r => r.Identifier), "their identifiers (ReportIdentifier.Create from the ledger id)");
    }

    private async Task EndToEndAsync()
    {
        var sink = new ContractSink();
        var services = new ServiceCollection()
            .AddUsageBilling(u =>
            {
                Run.Ledger.UseStore(u, Clock);
                u.AddMeter(Tokens, m => m.StripeEventName = "llm_tokens").UseSink(_ => sink);
            })
            .AddSingleton<TimeProvider>(Clock);
        var provider = services.BuildServiceProvider();
        await using (provider.ConfigureAwait(false))
        {
            var meter = provider.GetRequiredService<UsageMeter>();
            var reporter = provider.GetRequiredService<IUsageReporter>();
            await provider.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1" }, Cancellation);
            Clock.Advance(TimeSpan.FromMinutes(10));
            await meter.IncrementAsync("acct", 3, cancellationToken: Cancellation);
            await meter.IncrementAsync("acct", 4, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);
            await meter.IncrementAsync("acct", 4, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);
            sink.FailTransiently(await IdentifierAsync("acct", Tokens, Start, 0, 4), times: 1);
            Clock.Advance(TimeSpan.FromMinutes(55));

            var first = await reporter.ReportAsync(Cancellation);
            Clock.Advance(TimeSpan.FromMinutes(10));
            var second = await reporter.ReportAsync(Cancellation);

            var summary = await meter.GetAsync("acct", Start, Start + Hour, cancellationToken: Cancellation);
            Check.Equal((2, 1, 1), (first.Closed, first.Sent, first.WaitingForRetry), "the first run's (Closed, Sent, WaitingForRetry)");
            Check.Equal(1, second.Sent, "the second run's Sent: the transient failure is retried");
            Check.Equal(4L, sink.Total("cus_1", "llm_tokens"), "tokens delivered");
            Check.Equal(3L, sink.Total("cus_1", Usage), "usage delivered");
            Check.Equivalent(new[] { new MeterUsage(Usage, 3) { SentQuantity = 3 }, new MeterUsage(Tokens, 4) { SentQuantity = 4 } }, summary.Meters, "the meter's summary");
        }
    }
}
