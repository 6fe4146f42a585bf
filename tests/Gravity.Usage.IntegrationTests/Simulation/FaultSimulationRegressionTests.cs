using Gravity.Usage.IntegrationTests.Contract;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// Library bugs the fault simulation found, each as a hand-written schedule run through the same harness, kept so that
/// they stay fixed.
/// </summary>
public sealed class FaultSimulationRegressionTests
{
    /// <summary>
    /// PostgreSQL commits a batch and the connection drops before the answer to COMMIT arrives. The library used to tell
    /// every caller that the batch failed with nothing applied, although it was applied (an unkeyed increment counted
    /// although its task failed; a keyed one answered Duplicate on its retry). Now the store asks the server what became
    /// of the transaction and every caller is told the truth: recorded.
    /// </summary>
    /// <remarks>The first COMMIT after arming is the batch's own: a meter prunes expired keys only after its first batch.</remarks>
    [TestCase(false, TestName = "IncrementAsync_ConnectionDropsAfterCommit_UnkeyedIncrementIsToldRecordedAndCountedOnce")]
    [TestCase(true, TestName = "IncrementAsync_ConnectionDropsAfterCommit_KeyedIncrementIsToldRecordedAndItsRetryIsADuplicate")]
    public async Task IncrementAsync_ConnectionDropsAfterCommit_TheCallerIsToldTheTruth(bool keyed)
    {
        await PostgreSqlServer.RequireAsync();
        List<SimStep> steps =
        [
            new CommitDropStep(AfterCommit: true, PassesFirst: 0),
            new IncrementStep([new PlannedIncrement(0, 0, 0, 5, keyed, TimeSpan.Zero)]),
        ];
        if (keyed)
        {
            // The caller retries with the same key, as the README says is always safe.
            steps.Add(new ResendStep([0]));
        }

        var schedule = new SimulationSchedule(0, SimBackend.PostgreSql, Loopback: false, Accounts: 1, Meters: 1, InitiallyBillable: [true], MaxNetworkRetries: 0, StripeFaults: [], steps);
        var directory = Directory.CreateTempSubdirectory("gravity-usage-sim-").FullName;
        try
        {
            var result = await SimulationRun.RunAsync(schedule, directory);
            TestContext.Out.WriteLine(schedule.Describe());
            TestContext.Out.WriteLine(string.Join(", ", result.Events.Select(e => $"{e.Key} {e.Value}")));
            Assert.Multiple(() =>
            {
                Assert.That(result.Events.GetValueOrDefault("connection drops after COMMIT"), Is.EqualTo(1), "the drop struck");
                Assert.That(result.Events.Keys.Where(k => k.StartsWith("increment failed", StringComparison.Ordinal)), Is.Empty, "no caller was told it failed");
                Assert.That(result.Violations, Is.Empty);
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
