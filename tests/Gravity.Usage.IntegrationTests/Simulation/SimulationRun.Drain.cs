namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>The end of a run: the faults counted, and everything delivered that can be.</summary>
public sealed partial class SimulationRun
{
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
