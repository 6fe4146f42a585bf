using System.Globalization;
using Gravity.Usage.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Reconciles the ledger with Stripe Billing meters: Stripe's asynchronous meter errors
/// (<c>v1.billing.meter.error_report_triggered</c>, read through <c>GET /v2/core/events</c>) mark the reports they name
/// failed; then, per Stripe customer, meter and hour, the ledger's sent reports are weighed against Stripe's meter event
/// summaries (<c>GET /v1/billing/meters/{id}/event_summaries</c>, <c>value_grouping_window=hour</c>) and unknown reports
/// are settled from that evidence. <c>UseStripe</c> registers it as <see cref="IUsageReconciler"/>.
/// </summary>
/// <remarks>
/// <para>
/// An unknown report is marked sent when exactly one combination of the hour's unknown reports explains Stripe's
/// total and it is among the counted ones; it is replaced by a new pending report under a new identifier (derived from
/// the old one) when that combination leaves it out, which the reporter then delivers. Stripe's aggregation is
/// asynchronous, so nothing in an hour is judged until <see cref="UsageReconciliationOptions.SettleTime"/> has passed
/// since its latest delivery or attempt. Gauges (Stripe <c>last</c> meters) are weighed by their latest value; cancelled
/// and failed reports count 0; skipped reports (free accounts) are not at Stripe and are left out.
/// </para>
/// <para>
/// Stripe reports a sample of the rejected events of each error report, not always all of them: rejected reports it does
/// not name remain visible as drift. Only (customer, meter) pairs with reports in the period are compared: usage Stripe
/// holds for a customer the ledger sent nothing for in the period is not looked for. Reading error events needs a
/// <c>Stripe.StripeClient</c> (the v2 services are not on <c>IStripeClient</c>). Dispose the reconciler to release the
/// HTTP client it created.
/// </para>
/// </remarks>
public sealed partial class StripeUsageReconciler : IUsageReconciler, IDisposable
{
    private const int MaxPeriodDays = 366;
    private const string ErrorReportTriggered = "v1.billing.meter.error_report_triggered";

    private readonly IUsageReconciliationStore _store;
    private readonly StripeTransport _transport;
    private readonly UsageBillingOptions _billing;
    private readonly UsageReconciliationOptions _options;
    private readonly IUsageAccountResolver? _accounts;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="StripeUsageReconciler"/> class.</summary>
    /// <param name="store">The ledger: the SQLite or PostgreSQL store.</param>
    /// <param name="stripe">The Stripe options (key or client, address); validated here, listing every failure.</param>
    /// <param name="billing">The meters and their Stripe event names and kinds.</param>
    /// <param name="options">How evidence is judged; the defaults when <see langword="null"/>. Validated here.</param>
    /// <param name="accounts">
    /// Resolves the Stripe customer of reports closed without one recorded; the store's built-in mapping when
    /// <see langword="null"/> and the store has one.
    /// </param>
    /// <param name="timeProvider">The clock the settle time is measured on; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where changes are logged (never the key); nothing is logged when <see langword="null"/>.</param>
    /// <exception cref="OptionsValidationException">The Stripe or reconciliation options are invalid.</exception>
    public StripeUsageReconciler(
        IUsageReconciliationStore store,
        StripeOptions stripe,
        UsageBillingOptions billing,
        UsageReconciliationOptions? options = null,
        IUsageAccountResolver? accounts = null,
        TimeProvider? timeProvider = null,
        ILogger<StripeUsageReconciler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(stripe);
        ArgumentNullException.ThrowIfNull(billing);
        _options = options ?? new UsageReconciliationOptions();
        UsageReconciliationOptionsValidator.ThrowIfInvalid(_options);
        _store = store;
        _billing = billing;
        _accounts = accounts ?? (store is IUsageAccountStore mapping ? new StoreAccountResolver(mapping) : null);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;

        // Pacing and timeouts measure real network time, as the sinks' do.
        _transport = new StripeTransport(stripe, TimeProvider.System);
    }

    /// <inheritdoc />
    public async Task<UsageReconciliationReport> ReconcileAsync(
        DateTimeOffset periodStart,
        DateTimeOffset periodEnd,
        string? account = null,
        IProgress<UsageReconciliationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ValidatePeriod(periodStart, periodEnd, account);
        var from = periodStart.ToUniversalTime();
        var to = periodEnd.ToUniversalTime();

        var meters = await ReadStripeMetersAsync(cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        var actions = new List<UsageReconciliationAction>();

        // Rejections first, for the configured meters and those the period's reports name: a sent report Stripe
        // rejected counts 0 from here on.
        var named = (await ListReportsAsync(from, to, account, cancellationToken).ConfigureAwait(false)).Select(r => r.Meter);
        var unnamedRejections = new HashSet<string>(StringComparer.Ordinal);
        var eventNames = _billing.Meters.Keys.Concat(named).Distinct(StringComparer.Ordinal).Select(EventName).Distinct(StringComparer.Ordinal).ToList();
        for (var i = 0; i < eventNames.Count; i++)
        {
            progress?.Report(new UsageReconciliationProgress("meter errors", i, eventNames.Count));
            if (meters.TryGetValue(eventNames[i], out var meter))
            {
                var (rejections, unnamed) = await ReadRejectionsAsync(meter.Id, from, cancellationToken).ConfigureAwait(false);
                actions.AddRange(await MarkRejectedAsync(rejections, account, cancellationToken).ConfigureAwait(false));
                if (unnamed)
                {
                    unnamedRejections.Add(eventNames[i]);
                }
            }
        }

        progress?.Report(new UsageReconciliationProgress("meter errors", eventNames.Count, eventNames.Count));
        // Stripe totals a customer's usage of an event name, whichever account or ledger meter it came from: every
        // report that can be in that total is weighed, even when one account is reconciled, or another account's (or
        // meter's) usage would pass for a report Stripe never counted. Only the account's reports are changed.
        var reports = await ListReportsAsync(from, to, null, cancellationToken).ConfigureAwait(false);
        var customers = await CustomersOfAsync(reports, cancellationToken).ConfigureAwait(false);

        var now = _timeProvider.GetUtcNow();
        var rows = new List<UsageReconciliationRow>();
        var pairs = reports
            .GroupBy(r => (Customer: customers.GetValueOrDefault(r.Id), EventName: EventName(r.Meter)))
            .Where(g => account is null || g.Any(r => string.Equals(r.Account, account, StringComparison.Ordinal)))
            .OrderBy(g => g.Key.Customer, StringComparer.Ordinal)
            .ThenBy(g => g.Key.EventName, StringComparer.Ordinal)
            .ToList();
        var evidence = new Dictionary<(string Customer, string EventName), (StripeNet.Billing.Meter Meter, IReadOnlyDictionary<DateTimeOffset, decimal> Summaries)>();
        for (var i = 0; i < pairs.Count; i++)
        {
            progress?.Report(new UsageReconciliationProgress("summaries", i, pairs.Count));
            var customer = pairs[i].Key.Customer;
            var pair = pairs[i].ToList();
            var meterName = string.Join(",", pair.Select(r => r.Meter).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            if (!pair.Any(CanBeAtStripe))
            {
                continue;
            }

            var accounts = string.Join(",", pair.Select(r => r.Account).Distinct().Order(StringComparer.Ordinal));
            if (customer is null)
            {
                // Failed or cancelled reports of an unmapped account were never billed: only usage Stripe may hold is a problem.
                if (!pair.Any(r => r.Status is UsageReportStatus.Sent or UsageReportStatus.Unknown || HourEvidence.IsInFlight(r)))
                {
                    continue;
                }

                problems.Add(string.Create(CultureInfo.InvariantCulture, $"Account {accounts}, meter {meterName}: no Stripe customer is known, so {pair.Count} report(s) could not be compared."));
                continue;
            }

            if (!meters.TryGetValue(pairs[i].Key.EventName, out var stripeMeter))
            {
                problems.Add($"Meter {meterName}: Stripe has no meter with the event name {pairs[i].Key.EventName}, so {pair.Count} report(s) could not be compared.");
                continue;
            }

            try
            {
                evidence[(customer, pairs[i].Key.EventName)] = (stripeMeter, await ReadSummariesAsync(stripeMeter.Id, customer, from, to, cancellationToken).ConfigureAwait(false));
            }
            catch (StripeNet.StripeException ex) when ((int)ex.HttpStatusCode is >= 400 and < 500 and not 429)
            {
                problems.Add($"Account {accounts}, meter {meterName}: Stripe refused the summaries of customer {customer} ({_transport.Redact(ex.Message)}).");
            }
        }

        // The ledger is read again once Stripe's totals are in: a report closed or sent while they were read then shows
        // as sent (and too recent to judge), where the first reading would let its usage pass for an unknown report.
        // A report still unattempted now was not at Stripe when its totals were read: claims are recorded before sending.
        var fresh = await ListReportsAsync(from, to, null, cancellationToken).ConfigureAwait(false);
        var freshCustomers = await CustomersOfAsync(fresh, cancellationToken).ConfigureAwait(false);
        var judged = fresh
            .GroupBy(r => (Customer: freshCustomers.GetValueOrDefault(r.Id), EventName: EventName(r.Meter)))
            .Where(g => g.Key.Customer is not null && evidence.ContainsKey((g.Key.Customer, g.Key.EventName)))
            .OrderBy(g => g.Key.Customer, StringComparer.Ordinal)
            .ThenBy(g => g.Key.EventName, StringComparer.Ordinal);
        foreach (var group in judged)
        {
            var customer = group.Key.Customer!;
            var (stripeMeter, summaries) = evidence[(customer, group.Key.EventName)];
            var pair = group.ToList();
            var meterNames = pair.Select(r => r.Meter).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var meterName = string.Join(",", meterNames);
            var accounts = string.Join(",", pair.Select(r => r.Account).Distinct().Order(StringComparer.Ordinal));

            // A meter not configured here (the operations tool knows none) is weighed as Stripe aggregates it.
            var isGauge = _billing.Meters.TryGetValue(meterNames[0], out var meterOptions)
                ? meterOptions.Kind != MeterKind.Sum
                : string.Equals(stripeMeter.DefaultAggregation?.Formula, "last", StringComparison.Ordinal);
            var byHour = pair.GroupBy(r => HourOf(r.BucketStart)).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var hour in byHour.Keys.Union(summaries.Where(s => s.Value != 0).Select(s => s.Key)).Order())
            {
                var inHour = byHour.GetValueOrDefault(hour) ?? [];
                var stripeTotal = summaries.GetValueOrDefault(hour);
                var verdict = HourEvidence.Judge(inHour, isGauge, stripeTotal, now, _options, unnamedRejections.Contains(group.Key.EventName));
                var done = await ApplyAsync(verdict, hour, stripeTotal, account, cancellationToken).ConfigureAwait(false);
                actions.AddRange(done);
                rows.Add(new UsageReconciliationRow
                {
                    Account = accounts,
                    StripeCustomerId = customer,
                    Meter = meterName,
                    Hour = hour,
                    LocalTotal = verdict.LocalTotal,
                    UnknownTotal = verdict.UnknownTotal,
                    StripeTotal = stripeTotal,
                    State = verdict.State,
                    ReportIds = inHour.Where(CanBeAtStripe).Select(r => r.Id).Order().ToList(),
                    UnknownReportIds = inHour.Where(r => r.Status == UsageReportStatus.Unknown).Select(r => r.Id).Order().ToList(),
                    Note = verdict.State == UsageReconciliationRowState.Resolved && done.Count < verdict.Landed.Concat(verdict.Lacking).Count(r => account is null || string.Equals(r.Account, account, StringComparison.Ordinal))
                        ? verdict.Note + " Some reports were changed meanwhile by another run and were left as they are."
                        : verdict.Note,
                });
            }
        }

        progress?.Report(new UsageReconciliationProgress("summaries", pairs.Count, pairs.Count));
        var report = new UsageReconciliationReport
        {
            From = from,
            To = to,
            Account = account,
            ReconciledAt = now,
            Rows = rows.OrderBy(r => r.Account, StringComparer.Ordinal).ThenBy(r => r.Meter, StringComparer.Ordinal).ThenBy(r => r.Hour).ToList(),
            Actions = actions,
            Problems = problems,
        };
        LogReconciled(_logger, from, to, report.Rows.Count, report.DriftCount, report.UnresolvedCount, actions.Count);
        return report;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageReconciliationAction>> ApplyMeterErrorEventAsync(string eventId, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateIdentifier(eventId, nameof(eventId), "A Stripe event id", UsageRules.MaxStripeIdLength);
        var events = _transport.Concrete.V2.Core.Events;
        StripeNet.V2.Core.Event stripeEvent;
        using (var limit = _transport.LimitCall(cancellationToken))
        {
            await _transport.RequestPacer.WaitAsync(1, limit.Token).ConfigureAwait(false);
            stripeEvent = await events.GetAsync(eventId, cancellationToken: limit.Token).ConfigureAwait(false);
        }

        return await MarkRejectedAsync(RejectionsOf(stripeEvent), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the HTTP client this reconciler created, if it created one.</summary>
    public void Dispose() => _transport.Dispose();

    private static void ValidatePeriod(DateTimeOffset periodStart, DateTimeOffset periodEnd, string? account)
    {
        var (from, to) = (periodStart, periodEnd);
        if (from.UtcTicks % TimeSpan.TicksPerHour != 0)
        {
            throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"The period must start on a whole UTC hour (Stripe summarizes meters by hour); {from:O} does not."), nameof(periodStart));
        }

        if (to.UtcTicks % TimeSpan.TicksPerHour != 0)
        {
            throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"The period must end on a whole UTC hour (Stripe summarizes meters by hour); {to:O} does not."), nameof(periodEnd));
        }

        if (to <= from)
        {
            throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"The period must end after it starts; {to:O} is not after {from:O}."), nameof(periodEnd));
        }

        if (to - from > TimeSpan.FromDays(MaxPeriodDays))
        {
            throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"The period may last at most {MaxPeriodDays} days; reconcile a longer time in parts."), nameof(periodEnd));
        }

        if (account is not null)
        {
            UsageRules.ValidateAccount(account, nameof(account));
        }
    }

    private static DateTimeOffset HourOf(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    /// <summary>Whether Stripe can count the report: everything but a pending report never attempted.</summary>
    private static bool CanBeAtStripe(UsageReport report) =>
        report.Status is not (UsageReportStatus.Pending or UsageReportStatus.Cancelling) || HourEvidence.IsInFlight(report);

    /// <summary>The period's reports Stripe can have heard of: sent, unknown, pending, failed and cancelled ones, and cancellations under way.</summary>
    private async Task<List<UsageReport>> ListReportsAsync(DateTimeOffset from, DateTimeOffset to, string? account, CancellationToken cancellationToken) =>
        (await _store.ListReportsInPeriodAsync(from, to, account, cancellationToken).ConfigureAwait(false))
            .Where(r => r.Status is UsageReportStatus.Sent or UsageReportStatus.Unknown or UsageReportStatus.Pending or UsageReportStatus.Failed or UsageReportStatus.Cancelled
                || HourEvidence.IsInFlight(r))
            .ToList();

    /// <summary>The meter's Stripe event name: configured, or else the meter's own name (as the reporter sends it).</summary>
    private string EventName(string meter) =>
        _billing.Meters.TryGetValue(meter, out var options) && options.StripeEventName is { } name ? name : meter;

    private async Task<IReadOnlyList<UsageReconciliationAction>> MarkRejectedAsync(List<UsageRejection> rejections, string? account, CancellationToken cancellationToken)
    {
        if (rejections.Count == 0)
        {
            return [];
        }

        var marked = await _store.MarkRejectedAsync(rejections, account, cancellationToken).ConfigureAwait(false);
        var actions = new List<UsageReconciliationAction>(marked.Count);
        foreach (var report in marked)
        {
            var reason = rejections.First(r => r.Identifier == report.Identifier).Reason;
            LogMarkedFailed(_logger, report.Identifier, report.Account, report.Meter, reason);
            actions.Add(ActionOf(UsageReconciliationActionKind.MarkedFailed, report, reason));
        }

        return actions;
    }

    /// <summary>The Stripe customer of each report: the one it was closed with, else the account's current mapping.</summary>
    private async Task<Dictionary<long, string?>> CustomersOfAsync(IReadOnlyList<UsageReport> reports, CancellationToken cancellationToken)
    {
        var byAccount = new Dictionary<string, string?>(StringComparer.Ordinal);
        var customers = new Dictionary<long, string?>();
        foreach (var report in reports)
        {
            if (report.StripeCustomerId is { } recorded)
            {
                customers[report.Id] = recorded;
                continue;
            }

            if (!byAccount.TryGetValue(report.Account, out var current))
            {
                current = _accounts is null ? null : (await _accounts.ResolveAsync(report.Account, cancellationToken).ConfigureAwait(false))?.StripeCustomerId;
                byAccount[report.Account] = current;
            }

            customers[report.Id] = current;
        }

        return customers;
    }

    private async Task<List<UsageReconciliationAction>> ApplyAsync(HourVerdict verdict, DateTimeOffset hour, decimal stripeTotal, string? account, CancellationToken cancellationToken)
    {
        var actions = new List<UsageReconciliationAction>();
        if (verdict.State != UsageReconciliationRowState.Resolved)
        {
            return actions;
        }

        bool InScope(UsageReport report) => account is null || string.Equals(report.Account, account, StringComparison.Ordinal);

        var now = _timeProvider.GetUtcNow();
        foreach (var report in verdict.Landed.Where(InScope))
        {
            var note = string.Create(CultureInfo.InvariantCulture, $"Reconciled at {now:O}: Stripe's total for {hour:yyyy-MM-dd HH}:00 UTC ({stripeTotal}) shows this report; marked sent.");
            if (await _store.MarkUnknownSentAsync(report.Id, now, note, cancellationToken).ConfigureAwait(false))
            {
                LogMarkedSent(_logger, report.Identifier, report.Account, report.Meter);
                actions.Add(ActionOf(UsageReconciliationActionKind.MarkedSent, report, note));
            }
        }

        foreach (var report in verdict.Lacking.Where(InScope))
        {
            var identifier = ReportIdentifier.Resend(report.Identifier);
            var note = string.Create(CultureInfo.InvariantCulture, $"Reconciled at {now:O}: Stripe's settled total for {hour:yyyy-MM-dd HH}:00 UTC ({stripeTotal}) lacks this report; sent again as {identifier}.");
            if (await _store.ResendUnknownAsync(report.Id, identifier, now, note, cancellationToken).ConfigureAwait(false) is { } replacement)
            {
                LogResent(_logger, report.Identifier, report.Account, report.Meter, replacement.Identifier);
                actions.Add(ActionOf(UsageReconciliationActionKind.Resent, report, note) with { NewReportId = replacement.Id, NewIdentifier = replacement.Identifier });
            }
        }

        return actions;
    }

    private static UsageReconciliationAction ActionOf(UsageReconciliationActionKind kind, UsageReport report, string reason) => new()
    {
        Kind = kind,
        ReportId = report.Id,
        Identifier = report.Identifier,
        Account = report.Account,
        Meter = report.Meter,
        Quantity = report.Quantity,
        Reason = reason,
    };

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Reconciled usage of {From} to {To}: {Rows} rows, {Drift} with drift, {Unresolved} with unknown reports left, {Actions} changes.")]
    private static partial void LogReconciled(ILogger logger, DateTimeOffset from, DateTimeOffset to, int rows, int drift, int unresolved, int actions);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Usage report {Identifier} of account {Account}, meter {Meter}: Stripe counted it; marked sent.")]
    private static partial void LogMarkedSent(ILogger logger, string identifier, string account, string meter);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Usage report {Identifier} of account {Account}, meter {Meter}: Stripe never counted it; sent again as {Replacement}.")]
    private static partial void LogResent(ILogger logger, string identifier, string account, string meter, string replacement);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "Usage report {Identifier} of account {Account}, meter {Meter}: {Reason} Marked failed.")]
    private static partial void LogMarkedFailed(ILogger logger, string identifier, string account, string meter, string reason);
}
