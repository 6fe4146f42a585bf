using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gravity.Usage.Internal;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gravity.Usage;

/// <summary>
/// Closes counters into reports (the outbox) and delivers them through an <see cref="IUsageSink"/>, so that every unit
/// reaches the billing back end exactly once across retries, crashes, restarts and concurrent runs.
/// </summary>
/// <remarks>
/// <para>
/// Close: each counter's growth becomes a report with a deterministic identifier, and its reported quantity advances
/// in the same transaction. Usage of non-billable accounts becomes a skipped report that is never sent.
/// </para>
/// <para>
/// Deliver: due reports are claimed under a lease, sent with their identifier as the idempotency key, and marked
/// sent. Transient failures are retried with growing, jittered delays across runs; permanent failures are parked as
/// failed until re-driven; a report still unanswered after <see cref="UsageReportingOptions.SafeResendWindow"/> is
/// parked as unknown rather than risk a second charge.
/// </para>
/// </remarks>
public sealed partial class UsageReporter : IUsageReporter
{
    private static readonly TimeSpan s_stripeAgeMargin = TimeSpan.FromHours(1);

    private readonly IUsageReportStore _store;
    private readonly IUsageSink _sink;
    private readonly IUsageAccountResolver _accounts;
    private readonly UsageBillingOptions _billing;
    private readonly UsageReportingOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly UsageInstruments _instruments;

    /// <summary>
    /// The resolver reads the mapping the report store keeps (<see cref="IStoredPlanAccountResolver"/>): the store then
    /// decides billing inside the close transaction. Not checked by reference, so that a store wrapped by a decorator
    /// keeps the guarantee.
    /// </summary>
    private readonly bool _decidesPlanInStore;

    /// <summary>Initializes a new instance of the <see cref="UsageReporter"/> class.</summary>
    /// <param name="store">The outbox.</param>
    /// <param name="sink">Where reports are delivered.</param>
    /// <param name="accounts">How accounts are billed.</param>
    /// <param name="billing">The counting options (bucket size, meters and their event names).</param>
    /// <param name="options">The reporting options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where runs and failures are logged; nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">
    /// Creates the <see cref="UsageTelemetry.MeterName"/> meter the metrics are recorded on (DI's, so they belong to the container);
    /// one shared static meter when <see langword="null"/>.
    /// </param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public UsageReporter(
        IUsageReportStore store,
        IUsageSink sink,
        IUsageAccountResolver accounts,
        IOptions<UsageBillingOptions> billing,
        IOptions<UsageReportingOptions> options,
        TimeProvider? timeProvider = null,
        ILogger<UsageReporter>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(billing);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(new UsageBillingOptionsValidator().Validate(Options.DefaultName, billing.Value), typeof(UsageBillingOptions));
        ThrowIfInvalid(new UsageReportingOptionsValidator().Validate(Options.DefaultName, options.Value), typeof(UsageReportingOptions));
        _store = store;
        _sink = sink;
        _accounts = accounts;
        _billing = billing.Value;
        _options = options.Value;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _instruments = UsageInstruments.For(meterFactory);
        _decidesPlanInStore = accounts is IStoredPlanAccountResolver;
    }

    /// <inheritdoc />
    public Task<ReportRun> ReportAsync(CancellationToken cancellationToken = default) =>
        RunAsync(account: null, _options.IncludeOpenBuckets, cancellationToken);

    /// <inheritdoc />
    public Task<ReportRun> ReportAccountAsync(string account, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccount(account);
        return RunAsync(account, includeOpenBuckets: true, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ReportRun> CloseUnderMappingAsync(UsageAccount mapping, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccountMapping(mapping, nameof(mapping));
        var tally = new RunTally();
        await CloseAsync(mapping.Account, includeOpenBuckets: true, tally, cancellationToken, mapping).ConfigureAwait(false);
        return tally.ToRun();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UsageReport>> ListReportsAsync(UsageReportQuery query, CancellationToken cancellationToken = default)
    {
        ValidateQuery(query);
        return _store.ListReportsAsync(query, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> RedriveAsync(UsageReportQuery query, CancellationToken cancellationToken = default)
    {
        ValidateQuery(query);
        var count = await _store.RedriveAsync(query, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        LogRedriven(_logger, count);
        return count;
    }

    private async Task<ReportRun> RunAsync(string? account, bool includeOpenBuckets, CancellationToken cancellationToken)
    {
        using var activity = UsageActivities.Source.StartActivity(UsageActivities.ReportRun);
        var tally = new RunTally();
        try
        {
            await CloseAsync(account, includeOpenBuckets, tally, cancellationToken).ConfigureAwait(false);
            await CarryLastEverAsync(account, tally, cancellationToken).ConfigureAwait(false);
            await CancelForCorrectionsAsync(account, tally, cancellationToken).ConfigureAwait(false);
            await DeliverAsync(account, tally, cancellationToken).ConfigureAwait(false);
            if (!includeOpenBuckets)
            {
                await NoticeWaitingUsageAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // What the run did before it failed is still counted: those reports were closed or recorded.
            ReportRunTelemetry.Record(_instruments, activity, tally.ToRun(), tally.OldestClaimedAt, _timeProvider.GetUtcNow());
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }

        var run = tally.ToRun();
        ReportRunTelemetry.Record(_instruments, activity, run, tally.OldestClaimedAt, _timeProvider.GetUtcNow());
        if (run.Closed + run.Sent + run.Failed + run.WaitingForRetry + run.Unknown + run.Cancelled + run.NeedsCredit == 0)
        {
            // A scheduled reporter runs every few seconds and mostly finds nothing: idle runs stay out of the log.
            LogIdleRun(_logger);
        }
        else
        {
            LogRun(_logger, run.Closed, run.Sent, run.Skipped, run.Failed, run.WaitingForRetry, run.Unknown);
        }

        return run;
    }

    /// <summary>Closes what is due; under <paramref name="closeUnder"/> when given (a mapping change), else under each account's mapping.</summary>
    private async Task CloseAsync(string? account, bool includeOpenBuckets, RunTally tally, CancellationToken cancellationToken, UsageAccount? closeUnder = null)
    {
        var now = _timeProvider.GetUtcNow();
        var bucketTicks = _billing.BucketSize.Ticks;
        var before = includeOpenBuckets
            ? now + UsageBillingOptions.MaxFutureSkew + _billing.BucketSize
            : new DateTimeOffset(now.UtcTicks - (now.UtcTicks % bucketTicks), TimeSpan.Zero);

        // Each counter is closed at most once per run: usage that keeps arriving in an open bucket waits for the next
        // run instead of keeping this one going, one small report at a time.
        var closedThisRun = new HashSet<UnreportedUsage>();
        while (true)
        {
            var open = (await _store.GetUnreportedAsync(before, account, _options.CloseSliceSize + closedThisRun.Count, cancellationToken).ConfigureAwait(false))
                .Where(closedThisRun.Add)
                .Take(_options.CloseSliceSize)
                .ToList();
            if (open.Count == 0)
            {
                return;
            }

            var closings = new List<ReportClosing>(open.Count);
            var plans = new Dictionary<string, UsageAccount?>(StringComparer.Ordinal);
            foreach (var usage in open)
            {
                var kind = MeterKinds.Of(_billing, usage.Meter);
                if (MeterKinds.IsGauge(kind))
                {
                    // A mapping change closes gauges under the old mapping too; otherwise as the resolver has the account.
                    var billingAccount = closeUnder ?? await PlanAsync(plans, usage.Account, cancellationToken).ConfigureAwait(false);
                    foreach (var period in GaugeClosingPlan.Periods(kind, billingAccount?.BillingCycle, usage.BucketStart, usage.BucketStart + _billing.BucketSize, now))
                    {
                        closings.Add(GaugeClosingPlan.Closing(usage.Account, usage.Meter, kind, period, billingAccount, storeDecides: closeUnder is null && _decidesPlanInStore));
                    }

                    continue;
                }

                if (closeUnder is not null)
                {
                    closings.Add(BillingPlan.ClosingUnder(closeUnder, usage.Meter, usage.BucketStart, _billing.BucketSize));
                    continue;
                }

                var alignedEnd = PeriodBuckets.EndOf(usage.BucketStart, _billing.BucketSize, cycle: null);
                if (_decidesPlanInStore)
                {
                    // The store cuts the bucket's end at the stored cycle's boundary, inside the close transaction.
                    closings.Add(new ReportClosing(usage.Account, usage.Meter, usage.BucketStart, alignedEnd, null) { ApplyStoredPlan = true });
                    continue;
                }

                if (!plans.TryGetValue(usage.Account, out var plan))
                {
                    plans[usage.Account] = plan = await _accounts.ResolveAsync(usage.Account, cancellationToken).ConfigureAwait(false);
                }

                closings.Add(plan is null
                    ? new ReportClosing(usage.Account, usage.Meter, usage.BucketStart, alignedEnd, null)
                    : BillingPlan.ClosingUnder(plan, usage.Meter, usage.BucketStart, _billing.BucketSize));
            }

            tally.Closed(await _store.CloseAsync(closings, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// Sends the value of every <see cref="MeterKind.LastEver"/> gauge again once its account's billing period has
    /// started without a report: Stripe's <c>last</c> over the new period is then the carried value. The close itself
    /// compares the value with the period's latest report, so concurrent reporters send it once.
    /// </summary>
    private async Task CarryLastEverAsync(string? account, RunTally tally, CancellationToken cancellationToken)
    {
        if (!_billing.Meters.Values.Any(m => m?.Kind == MeterKind.LastEver))
        {
            return;
        }

        var now = _timeProvider.GetUtcNow();
        var plans = new Dictionary<string, UsageAccount?>(StringComparer.Ordinal);
        var closings = new List<ReportClosing>();
        foreach (var gauge in await _store.GetCarriedGaugesAsync(account, cancellationToken).ConfigureAwait(false))
        {
            if (MeterKinds.Of(_billing, gauge.Meter) != MeterKind.LastEver)
            {
                continue;
            }

            var billingAccount = await PlanAsync(plans, gauge.Account, cancellationToken).ConfigureAwait(false);
            var period = BillingPeriods.Of(billingAccount?.BillingCycle, now);
            if (gauge.LastReportedAt is { } reportedAt && reportedAt >= period.Start)
            {
                continue;
            }

            closings.Add(GaugeClosingPlan.Closing(gauge.Account, gauge.Meter, MeterKind.LastEver, period, billingAccount, _decidesPlanInStore));
        }

        foreach (var slice in closings.Chunk(_options.CloseSliceSize))
        {
            tally.Closed(await _store.CloseAsync(slice, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>The account as the resolver has it (its plan and billing cycle), looked up once per slice.</summary>
    private async Task<UsageAccount?> PlanAsync(Dictionary<string, UsageAccount?> plans, string account, CancellationToken cancellationToken)
    {
        if (!plans.TryGetValue(account, out var plan))
        {
            plans[account] = plan = await _accounts.ResolveAsync(account, cancellationToken).ConfigureAwait(false);
        }

        return plan;
    }

    private async Task DeliverAsync(string? account, RunTally tally, CancellationToken cancellationToken)
    {
        var owner = Guid.NewGuid().ToString("N");
        using var throttle = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        var inFlight = new List<Task>();
        try
        {
            while (true)
            {
                // The next batch is claimed while the previous one is still being sent, so the pause between batches
                // (recording outcomes, claiming) never leaves the rate limit unused. At most two batches at a time,
                // and never more than MaxConcurrency deliveries in flight between them.
                if (inFlight.Count >= 2)
                {
                    await FinishOneAsync(inFlight).ConfigureAwait(false);
                }

                var now = _timeProvider.GetUtcNow();
                var leaseExpiresAt = now + _options.LeaseDuration;
                var claimed = await _store.ClaimDueAsync(
                    new ReportClaim(owner, now, leaseExpiresAt, _options.DeliveryBatchSize, account),
                    cancellationToken).ConfigureAwait(false);
                if (claimed.Count == 0)
                {
                    if (inFlight.Count == 0)
                    {
                        break;
                    }

                    // A batch still in flight may hand reports back (its lease ran out): claim again once it is done.
                    await FinishOneAsync(inFlight).ConfigureAwait(false);
                    continue;
                }

                tally.Claimed(claimed);
                inFlight.Add(DeliverClaimedAsync(claimed, owner, now, leaseExpiresAt, throttle, tally, cancellationToken));
            }
        }
        finally
        {
            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for one batch in flight to finish; a batch whose outcomes could not be recorded fails the run.</summary>
    private static async Task FinishOneAsync(List<Task> inFlight)
    {
        var done = await Task.WhenAny(inFlight).ConfigureAwait(false);
        inFlight.Remove(done);
        await done.ConfigureAwait(false);
    }

    /// <summary>Sends one claimed batch and records every outcome in one transaction, whatever happens.</summary>
    private async Task DeliverClaimedAsync(
        IReadOnlyList<UsageReport> claimed,
        string owner,
        DateTimeOffset now,
        DateTimeOffset leaseExpiresAt,
        SemaphoreSlim throttle,
        RunTally tally,
        CancellationToken cancellationToken)
    {
        using var activity = UsageActivities.Source.StartActivity(UsageActivities.DeliveryBatch);
        activity?.SetTag(UsageTags.Claimed, claimed.Count);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken };
        var accounts = new ConcurrentDictionary<string, Task<UsageAccount?>>(StringComparer.Ordinal);
        var started = new ConcurrentDictionary<long, bool>();
        var attempts = new ConcurrentDictionary<long, Attempt>();
        try
        {
            var deliveries = new ConcurrentBag<UsageDelivery>();
            await Parallel.ForEachAsync(
                claimed,
                parallel,
                async (report, ct) =>
                {
                    if (Unsent(report, owner, leaseExpiresAt) is { } held)
                    {
                        attempts[report.Id] = held;
                    }
                    else if (await ResolveAsync(report, accounts, ct).ConfigureAwait(false) is { } billing)
                    {
                        // A report goes to the customer and item it was closed with, even after the mapping changed.
                        deliveries.Add(new UsageDelivery(report, EventName(report.Meter), BillingPlan.AsClosed(billing, report), MeterKinds.Of(_billing, report.Meter)));
                    }
                    else
                    {
                        attempts[report.Id] = Judge(report, owner, DeliveryResult.Transient("The account's billing ids could not be resolved; see the log."));
                    }
                }).ConfigureAwait(false);

            // Sinks that take many reports per request (the v2 stream) get them in chunks; the others one by one.
            var chunks = deliveries.OrderBy(d => d.Report.Id).Chunk(Math.Max(_sink.MaxBatchSize, 1));
            await Parallel.ForEachAsync(
                chunks,
                parallel,
                async (chunk, ct) =>
                {
                    await throttle.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        foreach (var attempt in await SendAsync(chunk, owner, leaseExpiresAt, started, ct).ConfigureAwait(false))
                        {
                            attempts[attempt.Report.Id] = attempt;
                        }
                    }
                    finally
                    {
                        throttle.Release();
                    }
                }).ConfigureAwait(false);
        }
        finally
        {
            // Outcomes are recorded per claimed batch, in one transaction rather than one fsync per report; a crash
            // before this point only means the delivered reports are sent again, and Stripe drops them by identifier.
            // Reports a cancelled run did not finish are handed back at once instead of waiting for their lease.
            var finished = claimed.Select(r => attempts.TryGetValue(r.Id, out var attempt)
                ? attempt
                : new Attempt(r, AttemptKind.HandedBack, new ReportCompletion(r.Id, owner, UsageReportStatus.Pending, now) { NextAttemptAt = now, NotAttempted = !started.ContainsKey(r.Id) }));
            await RecordAsync(finished.ToList(), tally).ConfigureAwait(false);
        }
    }

    /// <summary>The account's billing ids (an unmapped account is billable with none), or <see langword="null"/> when the resolver failed.</summary>
    private async Task<UsageAccount?> ResolveAsync(UsageReport report, ConcurrentDictionary<string, Task<UsageAccount?>> accounts, CancellationToken cancellationToken)
    {
        try
        {
            return await accounts.GetOrAdd(report.Account, a => _accounts.ResolveAsync(a, cancellationToken)).ConfigureAwait(false) ?? new UsageAccount(report.Account);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A resolver's error is a transient failure of this report, not of the run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogResolverError(_logger, ex, report.Account, report.Identifier);
            return null;
        }
    }

    /// <summary>Why a claimed report is not sent (handed back or parked), or <see langword="null"/> when it may be.</summary>
    private Attempt? Unsent(UsageReport report, string owner, DateTimeOffset leaseExpiresAt)
    {
        var now = _timeProvider.GetUtcNow();
        if (now >= leaseExpiresAt)
        {
            // A slow batch outlived its lease: another reporter may own the report now, so it is not sent from here.
            return new Attempt(report, AttemptKind.HandedBack, new ReportCompletion(report.Id, owner, UsageReportStatus.Pending, now) { NextAttemptAt = now, NotAttempted = true });
        }

        if (report.Attempts > 1 && report.FirstAttemptAt is { } first && now - first > _options.SafeResendWindow)
        {
            return Park(report, owner, now, UsageReportStatus.Unknown, $"Not delivered since the first attempt at {first:O} (last error: {report.LastError ?? "none"}); Stripe may have forgotten the identifier, so resending could bill twice. Reconcile against Stripe's totals, then re-drive or leave it.");
        }

        if (report.BucketStart < now - UsageReportingOptions.StripeMaxEventAge + s_stripeAgeMargin)
        {
            return Park(report, owner, now, UsageReportStatus.Failed, $"The usage of {report.BucketStart:O} is older than Stripe accepts (35 days); bill it by other means.");
        }

        return null;
    }

    /// <summary>Sends one chunk of deliveries (one report unless the sink takes more) and judges the answers.</summary>
    private async Task<IEnumerable<Attempt>> SendAsync(
        UsageDelivery[] chunk,
        string owner,
        DateTimeOffset leaseExpiresAt,
        ConcurrentDictionary<long, bool> started,
        CancellationToken cancellationToken)
    {
        var sendable = new List<UsageDelivery>(chunk.Length);
        var attempts = new List<Attempt>(chunk.Length);
        foreach (var delivery in chunk)
        {
            // Checked again right before sending: the wait for a turn may have outlived the lease.
            if (Unsent(delivery.Report, owner, leaseExpiresAt) is { } unsent)
            {
                attempts.Add(unsent);
            }
            else
            {
                sendable.Add(delivery);
                started[delivery.Report.Id] = true;
            }
        }

        if (sendable.Count == 0)
        {
            return attempts;
        }

        IReadOnlyList<DeliveryResult> results;
        try
        {
            results = sendable.Count == 1 && _sink.MaxBatchSize <= 1
                ? [await _sink.DeliverAsync(sendable[0], cancellationToken).ConfigureAwait(false)]
                : await _sink.DeliverBatchAsync(sendable, cancellationToken).ConfigureAwait(false);
            if (results.Count != sendable.Count)
            {
                throw new InvalidOperationException($"The usage sink returned {results.Count} results for {sendable.Count} deliveries.");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A sink's unexpected error is a transient failure of these reports, not of the run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSinkError(_logger, ex, sendable[0].Report.Identifier);
            var transient = DeliveryResult.Transient($"{ex.GetType().Name}: {ex.Message}");
            results = sendable.Select(_ => transient).ToList();
        }

        for (var i = 0; i < sendable.Count; i++)
        {
            attempts.Add(Judge(sendable[i].Report, owner, results[i]));
        }

        return attempts;
    }

    /// <summary>What becomes of a report, given the sink's answer.</summary>
    private Attempt Judge(UsageReport report, string owner, DeliveryResult result)
    {
        var now = _timeProvider.GetUtcNow();
        return result.Outcome switch
        {
            DeliveryOutcome.Delivered => new Attempt(report, AttemptKind.Sent, new ReportCompletion(report.Id, owner, UsageReportStatus.Sent, now) { RequestId = result.RequestId }),
            DeliveryOutcome.Permanent => Park(report, owner, now, UsageReportStatus.Failed, result.Error ?? "Refused by the billing back end.", result.RequestId),
            _ => new Attempt(report, AttemptKind.Retry, new ReportCompletion(report.Id, owner, UsageReportStatus.Pending, now)
            {
                Error = result.Error ?? "Not accepted this time.",
                RequestId = result.RequestId,
                NextAttemptAt = now + RetryDelay(report.Attempts, result.RetryAfter),
                RotateIdempotencyKey = result.RotateIdempotencyKey,
            }),
        };
    }

    private static Attempt Park(UsageReport report, string owner, DateTimeOffset now, UsageReportStatus status, string reason, string? requestId = null) =>
        new(report, AttemptKind.Parked, new ReportCompletion(report.Id, owner, status, now) { Error = reason, RequestId = requestId });

    private async Task RecordAsync(IReadOnlyList<Attempt> attempts, RunTally tally)
    {
        var applied = await _store.CompleteAsync(attempts.Select(a => a.Completion).ToList(), CancellationToken.None).ConfigureAwait(false);
        for (var i = 0; i < attempts.Count; i++)
        {
            var (report, kind, completion) = attempts[i];
            if (!applied[i])
            {
                continue; // The lease expired and another reporter took the report over.
            }

            switch (kind)
            {
                case AttemptKind.Sent:
                    tally.Sent();
                    break;
                case AttemptKind.Retry:
                    tally.WaitingForRetry();
                    LogRetry(_logger, report.Identifier, report.Attempts, completion.NextAttemptAt!.Value, completion.Error);
                    break;
                case AttemptKind.Parked:
                    tally.Parked(report with { Status = completion.Status, LastError = completion.Error, LastRequestId = completion.RequestId ?? report.LastRequestId });
                    LogParked(_logger, report.Identifier, report.Account, report.Meter, completion.Status, completion.Error!);
                    break;
            }
        }
    }

    private TimeSpan RetryDelay(int attempts, TimeSpan? retryAfter)
    {
        var exponent = Math.Min(Math.Max(attempts - 1, 0), 20);
        var delay = TimeSpan.FromTicks(Math.Min(_options.RetryBaseDelay.Ticks * (1L << exponent), _options.RetryMaxDelay.Ticks));
        // 75-100% jitter spreads the retries of many reports that failed together.
#pragma warning disable CA5394 // Jitter needs no cryptographic randomness.
        delay *= 0.75 + (Random.Shared.NextDouble() * 0.25);
#pragma warning restore CA5394
        return retryAfter is { } wait && wait > delay ? wait : delay;
    }

    private string EventName(string meter) =>
        _billing.Meters.TryGetValue(meter, out var options) && options.StripeEventName is { } name ? name : meter;

    private static void ValidateQuery(UsageReportQuery query)
    {
        if (query is null || query.Limit < 1)
        {
            throw new UsageInputException(query is null ? "A report query is required; it is null." : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"A report query's Limit must be at least 1; this one is {query.Limit}."), nameof(query));
        }
    }

    private static void ThrowIfInvalid(ValidateOptionsResult result, Type optionsType)
    {
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, optionsType, result.Failures);
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Usage report run: {Closed} closed, {Sent} sent, {Skipped} skipped, {Failed} failed, {WaitingForRetry} waiting for retry, {Unknown} parked as unknown.")]
    private static partial void LogRun(ILogger logger, int closed, int sent, int skipped, int failed, int waitingForRetry, int unknown);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Usage report run: nothing to close or deliver (usage in a bucket still in progress is closed once the bucket ends).")]
    private static partial void LogIdleRun(ILogger logger);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Usage report {Identifier} failed transiently (attempt {Attempts}); next attempt at {NextAttemptAt:O}: {Error}")]
    private static partial void LogRetry(ILogger logger, string identifier, int attempts, DateTimeOffset nextAttemptAt, string? error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Usage report {Identifier} of account {Account}, meter {Meter} parked as {Status}: {Reason}")]
    private static partial void LogParked(ILogger logger, string identifier, string account, string meter, UsageReportStatus status, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "The usage sink threw while delivering report {Identifier}; it will be retried.")]
    private static partial void LogSinkError(ILogger logger, Exception exception, string identifier);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "The billing ids of account {Account} could not be resolved for report {Identifier}; it will be retried.")]
    private static partial void LogResolverError(ILogger logger, Exception exception, string account, string identifier);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "{Count} usage reports re-driven.")]
    private static partial void LogRedriven(ILogger logger, int count);

    /// <summary>What became of a claimed report in this run.</summary>
    private enum AttemptKind
    {
        Sent,
        Retry,
        Parked,
        HandedBack,
    }

    /// <summary>A claimed report and what is to be recorded of its attempt.</summary>
    private readonly record struct Attempt(UsageReport Report, AttemptKind Kind, ReportCompletion Completion);

    /// <summary>Counts of one run, updated by concurrent deliveries.</summary>
    private sealed class RunTally
    {
        private readonly ConcurrentQueue<UsageReport> _failures = new();
        private int _closed;
        private int _sent;
        private int _skipped;
        private int _failed;
        private int _waiting;
        private int _unknown;
        private int _cancelled;
        private int _needsCredit;
        private DateTimeOffset? _oldestClaimedAt;

        /// <summary>Gets when the oldest report claimed in this run was closed, or <see langword="null"/> when none was claimed.</summary>
        public DateTimeOffset? OldestClaimedAt => _oldestClaimedAt;

        /// <summary>Notes a claimed batch; called only by the claiming loop, one batch at a time.</summary>
        public void Claimed(IReadOnlyList<UsageReport> reports)
        {
            foreach (var report in reports)
            {
                if (_oldestClaimedAt is not { } oldest || report.CreatedAt < oldest)
                {
                    _oldestClaimedAt = report.CreatedAt;
                }
            }
        }

        public void Closed(IReadOnlyList<UsageReport> reports)
        {
            Interlocked.Add(ref _closed, reports.Count);
            Interlocked.Add(ref _skipped, reports.Count(r => r.Status == UsageReportStatus.Skipped));
        }

        public void Sent() => Interlocked.Increment(ref _sent);

        public void WaitingForRetry() => Interlocked.Increment(ref _waiting);

        public void Parked(UsageReport report)
        {
            if (report.Status == UsageReportStatus.NeedsCredit)
            {
                Interlocked.Increment(ref _needsCredit);
            }
            else
            {
                Interlocked.Increment(ref report.Status == UsageReportStatus.Unknown ? ref _unknown : ref _failed);
            }

            _failures.Enqueue(report);
        }

        public void CancelledForCorrection() => Interlocked.Increment(ref _cancelled);

        public ReportRun ToRun() => new()
        {
            Closed = _closed,
            Sent = _sent,
            Skipped = _skipped,
            Failed = _failed,
            WaitingForRetry = _waiting,
            Unknown = _unknown,
            Cancelled = _cancelled,
            NeedsCredit = _needsCredit,
            Failures = [.. _failures],
        };
    }
}
