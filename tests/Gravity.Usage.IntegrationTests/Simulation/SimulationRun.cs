using Gravity.Usage.IntegrationTests.EndToEnd;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// Runs one schedule against the real parts: a real ledger, the Stripe stand-in with the seed's faults, and simulated
/// processes that crash and restart; then drains (faults off, clock past every bucket, reporter until nothing is due)
/// and hands over to <see cref="InvariantChecker"/>.
/// </summary>
/// <remarks>
/// The library and the stand-in share one <see cref="SteppedClock"/> that moves only between steps, so buckets, retry
/// delays, leases and Stripe's 24-hour windows all follow the schedule; request timeouts and pacing stay on real time.
/// </remarks>
public sealed class SimulationRun : IAsyncDisposable
{
    /// <summary>The first "now" of every seed: half past an hour, so the first bucket is in progress.</summary>
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    private const int MaxDrainRounds = 40;

    private readonly SimulationSchedule _schedule;
    private readonly SimLedger _ledger;
    private readonly SteppedClock _clock = new(Start);
    private readonly StripeStandIn _stripe;
    private readonly LedgerModel _model;
    private readonly SeedResult _result;
    private readonly SimProcess?[] _processes;
    private readonly HashSet<string> _reconciled = new(StringComparer.Ordinal);

    /// <summary>Set while a plan change is saved, for the increments that race it.</summary>
    private bool _planChanging;

    private SimulationRun(SimulationSchedule schedule, string directory)
    {
        _schedule = schedule;
        _result = new SeedResult(schedule);
        _ledger = SimLedger.Create(schedule.Backend, schedule.Seed, directory);
        _model = new LedgerModel(_clock, SimProcess.BucketSize);
        _stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = _clock, FaultSeed = schedule.Seed });
        _processes = new SimProcess?[schedule.Processes];
    }

    /// <summary>Runs a schedule end to end and checks the invariants; never throws for a violation, only records it.</summary>
    public static async Task<SeedResult> RunAsync(SimulationSchedule schedule, string directory)
    {
        var started = TimeProvider.System.GetTimestamp();
        var run = new SimulationRun(schedule, directory);
        try
        {
            await run.ExecuteAsync();
        }
        catch (Exception ex)
        {
            run._result.Violations.Add($"[harness] the run ended with {ex}");
        }
        finally
        {
            try
            {
                await run.DisposeAsync();
            }
            catch (Exception ex)
            {
                run._result.Violations.Add($"[harness] clean-up failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        run._result.Elapsed = TimeProvider.System.GetElapsedTime(started);
        return run._result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        await _stripe.DisposeAsync();
        await _ledger.DisposeAsync();
    }

    private SimProcess Process(int index) => _processes[index] ?? throw new InvalidOperationException($"Process {index} is not running.");

    private async Task ExecuteAsync()
    {
        if (_schedule.Loopback)
        {
            await _stripe.StartAsync();
        }

        foreach (var meter in SimulationSchedule.MeterNames)
        {
            _stripe.AddMeter(SimulationSchedule.EventName(meter));
        }

        for (var i = 0; i < _processes.Length; i++)
        {
            _processes[i] = StartProcess();
        }

        for (var a = 0; a < _schedule.Accounts; a++)
        {
            var account = SimulationSchedule.AccountName(a);
            _stripe.AddCustomer(SimulationSchedule.CustomerId(a));
            await Process(0).Accounts.SaveAccountAsync(Mapping(a, _schedule.InitiallyBillable[a]));
            _model.AddAccount(account, _schedule.InitiallyBillable[a]);
        }

        // Nothing is reported at the instant the accounts were mapped (see PlanTimeline.SkipReason).
        _clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var fault in _schedule.StripeFaults)
        {
            _stripe.Faults.FailRandomly("POST", "/v1/billing/meter_events", fault.Fault, fault.Probability, fault.Timing);
        }

        foreach (var step in _schedule.Steps)
        {
            await RunStepAsync(step);
            await RestartDeadProcessesAsync();
        }

        CountStripeFaults();
        await DrainAsync();
        var commitAnswersLost = _ledger.Proxy is { DroppedAfterCommit: > 0 };
        await new InvariantChecker(_schedule, _model, _stripe, Process(0), _reconciled, commitAnswersLost, _result).CheckAsync(Start.AddDays(-3), _clock.GetUtcNow().AddDays(1));
    }

    private SimProcess StartProcess() => SimProcess.Start(_schedule, _ledger, _clock, _stripe, _model);

    private static UsageAccount Mapping(int account, bool billable) =>
        new(SimulationSchedule.AccountName(account)) { StripeCustomerId = SimulationSchedule.CustomerId(account), Billable = billable };

    private Task RunStepAsync(SimStep step)
    {
        switch (step)
        {
            case IncrementStep increments:
                return IncrementAsync([.. _model.Outstanding().Select(i => i.Plan), .. increments.Increments]);
            case ResendStep resend:
                _result.Count("keys resent", resend.Ids.Count);
                return IncrementAsync(resend.Ids.Select(id => _model.Find(id).Plan).ToList());
            case AdvanceStep advance:
                _clock.Advance(advance.By);
                return Task.CompletedTask;
            case PlanChangeStep change:
                return ChangePlanAsync(change);
            case ReportStep report:
                return ReportAsync(report);
            case LeaseRaceStep race:
                return LeaseRaceAsync(race);
            case CrashStep crash:
                Process(crash.Process).Life.Arm(crash.Point, crash.PassesFirst);
                return Task.CompletedTask;
            case CommitDropStep drop:
                (_ledger.Proxy ?? throw new InvalidOperationException("Connection drops need the PostgreSQL proxy.")).Arm(drop.AfterCommit, drop.PassesFirst);
                return Task.CompletedTask;
            default:
                throw new InvalidOperationException($"Unknown step {step}.");
        }
    }

    /// <summary>Issues increments concurrently, so that they share group-commit batches, and books every answer.</summary>
    private Task IncrementAsync(IReadOnlyList<PlannedIncrement> plans) => Task.WhenAll(plans.Select(IncrementOneAsync));

    private async Task IncrementOneAsync(PlannedIncrement plan)
    {
        var increment = _model.Issue(plan);
        if (_planChanging)
        {
            _model.MarkRacedPlanChange(increment);
        }

        if (plan.Backdate > TimeSpan.Zero && increment.Attempts == 1)
        {
            _result.Count("late increments");
        }

        try
        {
            // A first attempt "now" uses the meter's clock; retries repeat the original instant, as a caller's retry would.
            var timestamp = increment.Attempts == 1 && plan.Backdate == TimeSpan.Zero ? (DateTimeOffset?)null : increment.Timestamp;
            // On PostgreSQL the increments are spread over both app instances.
            var recordedUnder = _model.PlanNow(increment.Account);
            var outcome = await Process(plan.Id % _processes.Length).Meter.IncrementAsync(increment.Account, plan.Quantity, increment.Meter, increment.Key, timestamp);
            _model.Answered(increment, outcome, recordedUnder);
            if (outcome == IncrementOutcome.Duplicate)
            {
                _result.Count("duplicates recognised");
            }
        }
        catch (SimulatedCrashException)
        {
            _model.Faulted(increment, byLibrary: false);
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            // A store failure the library reports: nothing of the batch may have been applied (checked at the end).
            _model.Faulted(increment, byLibrary: true);
            _result.Count($"increment failed: {ex.GetType().Name}");
        }
    }

    private async Task ChangePlanAsync(PlanChangeStep change)
    {
        var account = Mapping(change.Account, change.Billable);
        var dropsBefore = _ledger.Proxy?.Drops ?? 0;
        _model.PlanChangeRacesReportRun = change.WithReportRun;
        _planChanging = true;
        var run = Task.WhenAll(
            change.WithReportRun ? ReportAsync(new ReportStep(1, null, []), process: _processes.Length - 1) : Task.CompletedTask,
            IncrementAsync(change.Concurrent));
        try
        {
            await Process(0).Accounts.SaveAccountAsync(account);
            _model.PlanSaved(account.Account, account.Billable);
        }
        catch (Exception ex) when (ex is SimulatedCrashException || DroppedCommit(dropsBefore))
        {
            // The host saves the plan again (once it is back): the same instant, so whether the first save committed
            // or not, the plan changed now.
            await run;
            await RestartDeadProcessesAsync();
            await Process(0).Accounts.SaveAccountAsync(account);
            _model.PlanSaved(account.Account, account.Billable);
        }

        await run;
        _planChanging = false;
        _model.PlanChangeRacesReportRun = false;
        _result.Count(change.WithReportRun ? "plan changes during a report run" : "plan changes");

        // Reports closed from now on are told apart from those the change itself closed under the old plan.
        _clock.Advance(TimeSpan.FromSeconds(1));
    }

    /// <summary>Report runs at once, spread over the processes, with increments arriving meanwhile.</summary>
    private async Task ReportAsync(ReportStep step, int process = 0)
    {
        if (step.Runs > 1)
        {
            _result.Count("concurrent report runs", step.Runs);
        }

        var dropsBefore = _ledger.Proxy?.Drops ?? 0;
        var runs = Enumerable.Range(0, step.Runs).Select(async i =>
        {
            var runner = Process((process + i) % _processes.Length);
            try
            {
                var run = i == 0 && step.FlushAccount is { } flush
                    ? await runner.Reporter.ReportAccountAsync(SimulationSchedule.AccountName(flush))
                    : await runner.Reporter.ReportAsync();
                _result.Count("reports sent by runs", run.Sent);
            }
            catch (SimulatedCrashException)
            {
            }
            catch (Exception) when (DroppedCommit(dropsBefore))
            {
                // A connection dropped around one of its commits; the next run takes over (checked by the drain).
                _result.Count("report runs failed by a dropped connection");
            }
            catch (Exception ex) when (!runner.Life.IsDead)
            {
                _result.Violate($"[reporter] a report run of a live process threw {ex.GetType().Name}: {ex.Message}");
            }
        }).ToList();
        await Task.WhenAll([.. runs, IncrementAsync(step.Concurrent)]);
    }

    /// <summary>
    /// The first run's meter events are held by Stripe for a while (real time); meanwhile the clock passes its lease and
    /// a second run (on PostgreSQL in the other process) claims what it can. Whoever loses the lease must not record
    /// an outcome, and Stripe must count each identifier once.
    /// </summary>
    private async Task LeaseRaceAsync(LeaseRaceStep step)
    {
        _result.Count("lease races");
        var requestsBefore = _stripe.Requests.Count;
        var slow = _stripe.Faults.Add("POST", "/v1/billing/meter_events", StripeFault.Delay(TimeSpan.FromMilliseconds(step.SlowMilliseconds)), FaultTiming.BeforeProcessing, times: 3);
        try
        {
            var first = ReportAsync(new ReportStep(1, null, []));
            await Task.Delay(TimeSpan.FromMilliseconds(step.SlowMilliseconds / 3));
            _clock.Advance(SimProcess.LeaseDuration + TimeSpan.FromSeconds(1));
            var second = ReportAsync(new ReportStep(1, null, []), process: _processes.Length - 1);
            await Task.WhenAll(first, second);

            // Evidence that the race happened: the same report sent by both runs.
            var keys = _stripe.Requests.Skip(requestsBefore).Select(r => r.IdempotencyKey).OfType<string>().ToList();
            _result.Count("lease takeovers (a report sent by both runs)", keys.Count - keys.Distinct(StringComparer.Ordinal).Count());
        }
        finally
        {
            _stripe.Faults.Remove(slow);
            _result.Count("stripe slow answers (lease race)", slow.Strikes);
        }
    }

    /// <summary>Whether the proxy dropped a connection since it had dropped <paramref name="dropsBefore"/>.</summary>
    private bool DroppedCommit(int dropsBefore) => (_ledger.Proxy?.Drops ?? 0) > dropsBefore;

    private async Task RestartDeadProcessesAsync()
    {
        for (var i = 0; i < _processes.Length; i++)
        {
            if (Process(i).Life.DiedAt is { } point)
            {
                _result.Count($"crash {point}");
                await Process(i).DisposeAsync();
                _processes[i] = StartProcess();
            }
        }
    }

    private void CountStripeFaults()
    {
        foreach (var (rule, plan) in _stripe.Faults.Rules.Zip(_schedule.StripeFaults))
        {
            if (rule.Strikes > 0)
            {
                _result.Count(plan.Label, rule.Strikes);
            }
        }
    }

    /// <summary>
    /// Stops the faults, retries what callers still owe, moves the clock past every bucket and runs the reporter until
    /// nothing is pending; reports parked as unknown (or failed) are reconciled against Stripe as the README says:
    /// left alone when Stripe has their identifier, re-driven when it does not.
    /// </summary>
    private async Task DrainAsync()
    {
        foreach (var process in _processes)
        {
            process!.Life.Disarm();
        }

        _ledger.Proxy?.Disarm();
        if (_ledger.Proxy is { } proxy)
        {
            _result.Count("connection drops before COMMIT", proxy.DroppedBeforeCommit);
            _result.Count("connection drops after COMMIT", proxy.DroppedAfterCommit);
        }

        _stripe.Faults.Clear();
        await RestartDeadProcessesAsync();
        for (var i = 0; i < 5 && _model.Outstanding().Count > 0; i++)
        {
            await IncrementAsync(_model.Outstanding().Select(o => o.Plan).ToList());
        }

        var now = _clock.GetUtcNow();
        _clock.MoveTo(new DateTimeOffset(now.UtcTicks - (now.UtcTicks % SimProcess.BucketSize.Ticks), TimeSpan.Zero) + SimProcess.BucketSize + TimeSpan.FromMinutes(1));
        var reporter = Process(0).Reporter;
        for (var round = 0; round < MaxDrainRounds; round++)
        {
            await reporter.ReportAsync();
            var reports = await reporter.ListReportsAsync(new UsageReportQuery { Limit = 100_000 });
            var redriven = 0;
            foreach (var parked in reports.Where(r => r.Status is UsageReportStatus.Failed or UsageReportStatus.Unknown && !_reconciled.Contains(r.Identifier)))
            {
                _result.Count($"reports parked {parked.Status}");
                if (parked.Status == UsageReportStatus.Failed)
                {
                    // Only transient faults are injected, so nothing may be refused for good.
                    _result.Violate($"[{InvariantChecker.NothingPending}] report {parked.Identifier} was parked as failed although every injected fault was transient: {parked.LastError}");
                }

                if (_stripe.CountAcceptedIdentifier(parked.Identifier) > 0)
                {
                    _reconciled.Add(parked.Identifier);
                }
                else
                {
                    redriven += await reporter.RedriveAsync(new UsageReportQuery { Id = parked.Id });
                }
            }

            var pending = reports.Where(r => r.Status == UsageReportStatus.Pending).ToList();
            if (pending.Count == 0 && redriven == 0)
            {
                return;
            }

            // Past the retry delays and the leases of dead reporters.
            var next = _clock.GetUtcNow() + SimProcess.LeaseDuration;
            foreach (var report in pending.Where(r => r.NextAttemptAt > next))
            {
                next = report.NextAttemptAt;
            }

            _clock.MoveTo(next + TimeSpan.FromSeconds(1));
        }
    }
}
