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
public sealed partial class SimulationRun : IAsyncDisposable
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
        // Only increments the library said may or may not have committed (UsageCommitOutcomeUnknownException) may turn
        // out applied although their task failed; every other failure must have applied nothing.
        var outcomeUnknown = _result.Events.GetValueOrDefault("increment failed: " + nameof(UsageCommitOutcomeUnknownException)) > 0;
        await new InvariantChecker(_schedule, _model, _stripe, Process(0), _reconciled, outcomeUnknown, _result).CheckAsync(Start.AddDays(-3), _clock.GetUtcNow().AddDays(1));
    }

    private SimProcess StartProcess() => SimProcess.Start(_schedule, _ledger, _clock, _stripe, _model);

    private static UsageAccount Mapping(int account, bool billable) =>
        new(SimulationSchedule.AccountName(account)) { StripeCustomerId = SimulationSchedule.CustomerId(account), Billable = billable };

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
}
