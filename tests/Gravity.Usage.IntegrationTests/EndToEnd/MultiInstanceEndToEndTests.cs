using System.Globalization;
using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// Any number of processes incrementing and any number of reporters on one PostgreSQL database: totals stay exact and
/// no report is delivered twice, even while Stripe fails and a reporter dies holding leases (DESIGN §5). Needs the
/// server of GRAVITY_USAGE_POSTGRES: ignored without one, except under CI=true, where it fails.
/// </summary>
public sealed class MultiInstanceEndToEndTests : EndToEndTest
{
    private const int Accounts = 50;
    private const int Incrementers = 4;
    private const int Reporters = 3;
    private const int IncrementsPerProcess = 6_000;
    private const int LeaseSeconds = 30;
    private const int LoopSeconds = 6;

    private readonly string _schema = $"gu_e2e_{Guid.NewGuid():N}";
    private bool _schemaUsed;

    [TearDown]
    public async Task DropSchemaAsync()
    {
        await DisposeProvidersAsync();
        if (_schemaUsed)
        {
            await using var admin = NpgsqlDataSource.Create(PostgreSqlServer.ConnectionString);
            await using var drop = admin.CreateCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Test]
    public async Task ReportAsync_FourIncrementingProcessesThreeReporterProcessesOneKilled_StripeTotalsExactAndNoIdentifierAcceptedTwice()
    {
        await PostgreSqlServer.RequireAsync();
        _schemaUsed = true;
        await StartStripeAsync(o =>
        {
            o.FaultSeed = 20_261_207;
            o.ResponseDelay = TimeSpan.FromMilliseconds(5);
        });
        Stripe.AddMeter(ApiCalls); // the test host sends the meter's name as the event name
        var provider = BuildProvider(
            stripe: o =>
            {
                o.MaxNetworkRetries = 1;
                o.RequestTimeout = TimeSpan.FromSeconds(2);
            },
            reporting: r =>
            {
                r.IncludeOpenBuckets = true;
                r.RetryBaseDelay = TimeSpan.FromSeconds(1);
                r.LeaseDuration = TimeSpan.FromSeconds(LeaseSeconds);
            },
            billing: u => u
                .UsePostgreSql(o =>
                {
                    o.ConnectionString = PostgreSqlServer.ConnectionString;
                    o.SchemaName = _schema;
                })
                .AddMeter(ApiCalls, m => m.StripeEventName = null));

        // Creates the schema before any child starts, and maps every account to a customer.
        var customers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var a = 0; a < Accounts; a++)
        {
            var account = $"acct_{a:D2}";
            customers[account] = Stripe.AddCustomer();
            await MapAsync(provider, account, customers[account]);
        }

        var rules = AddTransientFaults(
        [
            (StripeFault.ServerError(500), FaultTiming.BeforeProcessing, 0.04),
            (StripeFault.ServerError(500), FaultTiming.AfterProcessing, 0.04),
            (StripeFault.TooManyRequests(), FaultTiming.BeforeProcessing, 0.04),
            (StripeFault.Conflict(), FaultTiming.BeforeProcessing, 0.03),
            (StripeFault.DropConnection(), FaultTiming.BeforeProcessing, 0.025),
            (StripeFault.DropConnection(), FaultTiming.AfterProcessing, 0.025),
        ]);

        var children = new List<TestHostProcess>();
        try
        {
            var reporters = Enumerable.Range(0, Reporters).Select(_ => TestHostProcess.Start(
                "report",
                "--postgres", PostgreSqlServer.ConnectionString,
                "--schema", _schema,
                "--stripe-base", StripeBase.AbsoluteUri,
                "--api-key", ApiKey,
                "--meter", ApiCalls,
                "--lease-seconds", LeaseSeconds.ToString(CultureInfo.InvariantCulture),
                "--loop-seconds", LoopSeconds.ToString(CultureInfo.InvariantCulture))).ToList();
            children.AddRange(reporters);
            var incrementers = Enumerable.Range(0, Incrementers).Select(i => TestHostProcess.Start(
                "increment",
                "--postgres", PostgreSqlServer.ConnectionString,
                "--schema", _schema,
                "--accounts", Accounts.ToString(CultureInfo.InvariantCulture),
                "--count", IncrementsPerProcess.ToString(CultureInfo.InvariantCulture),
                "--meter", ApiCalls,
                "--seed", (i + 1).ToString(CultureInfo.InvariantCulture))).ToList();
            children.AddRange(incrementers);

            // One reporter dies mid-run, once Stripe accepted some of the reports.
            var victim = reporters[0];
            await Poll.UntilAsync(
                () => Stripe.AcceptedIdentifiers.Count >= 20 || victim.HasExited,
                HangGuard,
                () => "the reporters' first meter events: " + string.Join(" | ", reporters.SelectMany(r => r.Output)));
            Assert.That(victim.HasExited, Is.False, () => "the reporter ended on its own: " + string.Join(" | ", victim.Output));
            await victim.KillAsync();
            var acceptedAtKill = Stripe.AcceptedIdentifiers.Count;

            long expectedQuantity = 0;
            foreach (var incrementer in incrementers)
            {
                await incrementer.WaitForExitAsync(HangGuard);
                var done = incrementer.Output.SingleOrDefault(line => line.StartsWith("DONE ", StringComparison.Ordinal));
                Assert.That(incrementer.ExitCode, Is.Zero, () => string.Join(" | ", incrementer.Output));
                Assert.That(done, Is.Not.Null.And.StartsWith($"DONE recorded={IncrementsPerProcess} "), () => string.Join(" | ", incrementer.Output));
                expectedQuantity += long.Parse(done!.Split("quantity=")[1], CultureInfo.InvariantCulture);
            }

            foreach (var reporter in reporters.Skip(1))
            {
                await reporter.WaitForExitAsync(HangGuard);
                Assert.That(reporter.ExitCode, Is.Zero, () => string.Join(" | ", reporter.Output));
            }

            var pendingAfterChildren = await ReportsAsync(provider, UsageReportStatus.Pending);
            TestContext.Out.WriteLine(
                $"Stripe accepted {acceptedAtKill} events when the reporter was killed; {pendingAfterChildren.Count} reports pending once the children ended. " +
                $"Reporters wrote: {string.Join(" | ", reporters.Select(r => r.Output.Count > 0 ? r.Output[^1] : string.Empty))}");

            // The last reporter, in this process, after the dead reporter's lease expired and Stripe recovered.
            Stripe.Faults.Clear();
            Clock.MoveTo(TimeProvider.System.GetUtcNow() + TimeSpan.FromMinutes(2));
            var runs = await RunUntilSettledAsync(provider, maxRuns: 20);

            var reports = await ReportsAsync(provider);
            var localTotals = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var account in customers.Keys)
            {
                localTotals[account] = await LocalTotalAsync(provider, account, ApiCalls);
            }

            TestContext.Out.WriteLine(
                $"{reports.Count} reports, {Stripe.CountRequests("POST", MeterEventsPath)} meter event requests, {Stripe.Faults.TotalStrikes} faults, " +
                $"{runs.Count} final runs sending {runs.Sum(r => r.Sent)}; most attempts of a report: {reports.Max(r => r.Attempts)}");
            Assert.Multiple(() =>
            {
                Assert.That(localTotals.Values.Sum(), Is.EqualTo(expectedQuantity), "every increment counted once");
                Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent), "nothing failed, parked or stuck");
                Assert.That(reports.Select(r => Stripe.CountAcceptedIdentifier(r.Identifier)), Is.All.EqualTo(1), "every identifier accepted exactly once");
                Assert.That(Stripe.AcceptedIdentifiers, Has.Count.EqualTo(reports.Count));
                Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(reports.Select(r => r.Identifier)));
                foreach (var (account, customer) in customers)
                {
                    Assert.That(Stripe.GetMeterTotal(ApiCalls, customer), Is.EqualTo(localTotals[account]), account);
                }

                foreach (var rule in rules)
                {
                    Assert.That(rule.Strikes, Is.GreaterThan(0), rule.ToString());
                }
            });
        }
        finally
        {
            foreach (var child in children)
            {
                child.Dispose();
            }
        }
    }

    /// <summary>Adds one rule per fault on meter events, each with its share of all requests (see FaultToleranceEndToEndTests).</summary>
    private List<StripeFaultRule> AddTransientFaults(IReadOnlyList<(StripeFault Fault, FaultTiming Timing, double Share)> faults)
    {
        var rules = new List<StripeFaultRule>();
        var left = 1.0;
        foreach (var (fault, timing, share) in faults)
        {
            rules.Add(Stripe.Faults.FailRandomly("POST", MeterEventsPath, fault, share / left, timing));
            left -= share;
        }

        return rules;
    }
}
