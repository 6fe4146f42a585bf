namespace Gravity.Usage.Sample;

/// <summary>Plays the host application: concurrent requests that each record usage, some of them retried.</summary>
internal static class TrafficSimulator
{
    /// <summary>What the simulation did, to compare with what the ledger says.</summary>
    public sealed record Result(long Recorded, long Duplicates, TimeSpan Elapsed);

    public static async Task<Result> RunAsync(UsageMeter meter, IReadOnlyList<string> accounts, SampleOptions options)
    {
        long recorded = 0, duplicates = 0;
        var perCaller = options.Increments / options.Concurrency;
        var remainder = options.Increments % options.Concurrency;
        var runId = Guid.NewGuid().ToString("N")[..8]; // request ids are unique per run, as a host's would be
        var started = TimeProvider.System.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async caller =>
        {
            var random = new Random(caller);
            var count = perCaller + (caller < remainder ? 1 : 0);
            for (var i = 0; i < count; i++)
            {
                var account = accounts[random.Next(accounts.Count)];
                var requestId = $"req-{runId}-{caller}-{i}";
                // Every request is an API call; one in four also consumes tokens, recorded with it in one call (all or nothing).
                UsagePart[] usage = random.Next(4) == 0
                    ? [UsagePart.Increment("api_calls", 1), UsagePart.Increment("tokens", random.Next(100, 2_000))]
                    : [UsagePart.Increment("api_calls", 1)];
                await meter.RecordAsync(account, usage, idempotencyKey: requestId);
                Interlocked.Increment(ref recorded);

                // Clients retry: the same request again, with the same id, is recognised and not counted twice.
                if (random.Next(20) == 0
                    && await meter.RecordAsync(account, usage, idempotencyKey: requestId) == IncrementOutcome.Duplicate)
                {
                    Interlocked.Increment(ref duplicates);
                }
            }
        }));

        return new Result(recorded, duplicates, TimeProvider.System.GetElapsedTime(started));
    }
}
