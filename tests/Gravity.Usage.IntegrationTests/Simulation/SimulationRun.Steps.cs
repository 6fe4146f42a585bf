using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>The steps of a schedule: what each kind of step does to the processes, the clock and Stripe.</summary>
public sealed partial class SimulationRun
{
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
                (_ledger.Proxy ?? throw new InvalidOperationException("Connection drops need the PostgreSQL proxy."))
                    .Arm(drop.AfterCommit ? CommitFault.DropAfterCommitAnswered : CommitFault.DropBeforeCommit, drop.PassesFirst);
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
        await SaveUntilDoneAsync(account, dropsBefore, run);
        await run;
        _planChanging = false;
        _model.PlanChangeRacesReportRun = false;
        _result.Count(change.WithReportRun ? "plan changes during a report run" : "plan changes");

        // Reports closed from now on are told apart from those the change itself closed under the old plan.
        _clock.Advance(TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Saves the plan as a host would: when the process died or its connection dropped around a commit (which may hit
    /// the save itself, or the schema check of a restarted process), it saves again once it is back. The clock has not
    /// moved, so whether an earlier attempt committed or not, the plan changed at this instant.
    /// </summary>
    private async Task SaveUntilDoneAsync(UsageAccount account, int dropsBefore, Task run)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Process(0).Accounts.SaveAccountAsync(account);
                _model.PlanSaved(account.Account, account.Billable);
                return;
            }
            catch (Exception ex) when (attempt < 5 && (ex is SimulatedCrashException || DroppedCommit(dropsBefore)))
            {
                await run;
                await RestartDeadProcessesAsync();
            }
        }
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
}
