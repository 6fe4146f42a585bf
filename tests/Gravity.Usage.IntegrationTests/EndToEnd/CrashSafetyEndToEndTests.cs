using System.Collections.Concurrent;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// The process dies after Stripe accepted a report but before the report was marked sent: the next run resends the
/// same identifier and Stripe counts it once (DESIGN §5).
/// </summary>
public sealed class CrashSafetyEndToEndTests : EndToEndTest
{
    [TestCase(false, TestName = "ReportAsync_CrashAfterStripeAccepted_NextRunReplaysTheAnswerAndStripeCountsOnce")]
    [TestCase(true, TestName = "ReportAsync_CrashAfterStripeAccepted_StripeForgotTheIdempotencyKey_DuplicateIdentifierCountsAsSentAndOnce")]
    public async Task ReportAsync_CrashAfterStripeAccepted_NextRunResendsTheSameIdentifier(bool stripeForgotTheIdempotencyKey)
    {
        await StartStripeAsync(o =>
        {
            if (stripeForgotTheIdempotencyKey)
            {
                // The stored answer is gone by the next run, but the identifier is still unique: Stripe answers "duplicate".
                o.IdempotencyKeyRetention = TimeSpan.FromMilliseconds(1);
            }
        });
        Stripe.AddMeter(ApiCallsEvent);
        CrashAfterAcceptance? sink = null;
        var provider = BuildProvider(billing: u => u.UseSink(sp => sink = new CrashAfterAcceptance(new StripeMeterEventSink(
            new StripeOptions { ApiKey = ApiKey, ApiBase = StripeBase },
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<StripeMeterEventSink>()))));
        var reporter = provider.GetRequiredService<IUsageReporter>();
        var customers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            customers[$"acct_{i}"] = Stripe.AddCustomer();
            await MapAsync(provider, $"acct_{i}", customers[$"acct_{i}"]);
            await RecordAsync(provider, $"acct_{i}", ApiCalls, 10 + i, HoursBeforeStart(1));
            await RecordAsync(provider, $"acct_{i}", ApiCalls, 20 + i, HoursBeforeStart(2));
        }

        var crashed = await reporter.ReportAsync();
        var afterCrash = await ReportsAsync(provider);
        var totalsAfterCrash = customers.Values.Select(c => Stripe.GetMeterTotal(ApiCallsEvent, c)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(sink!.Crashes, Is.EqualTo(6));
            Assert.That(crashed.Sent, Is.Zero);
            Assert.That(crashed.WaitingForRetry, Is.EqualTo(6));
            Assert.That(afterCrash.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Pending), "not marked sent");
            Assert.That(afterCrash.Select(r => r.LastError), Is.All.Contains("after Stripe accepted"));
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(afterCrash.Select(r => r.Identifier)), "Stripe has them all");
        });

        // The next scheduled run, once the retry delay passed.
        Clock.MoveTo(afterCrash.Max(r => r.NextAttemptAt) + TimeSpan.FromSeconds(1));
        var next = await reporter.ReportAsync();

        var reports = await ReportsAsync(provider);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(next.Sent, Is.EqualTo(6));
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(reports.Select(r => r.Identifier), Is.EqualTo(afterCrash.Select(r => r.Identifier)), "the same identifiers");
            Assert.That(customers.Values.Select(c => Stripe.GetMeterTotal(ApiCallsEvent, c)), Is.EqualTo(totalsAfterCrash), "Stripe's totals did not change");
            foreach (var (account, customer) in customers)
            {
                Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, account, ApiCalls)));
            }

            foreach (var report in reports)
            {
                var requests = MeterEventRequests().Where(r => Form(r)["identifier"] == report.Identifier).ToList();
                Assert.That(Stripe.CountAcceptedIdentifier(report.Identifier), Is.EqualTo(1), "counted once");
                Assert.That(requests.Select(r => r.IdempotencyKey), Is.EqualTo(new[] { report.Identifier, report.Identifier }), "sent twice, with the same key");
                if (stripeForgotTheIdempotencyKey)
                {
                    Assert.That(Stripe.CountDuplicateIdentifier(report.Identifier), Is.EqualTo(1), "Stripe answered duplicate");
                    Assert.That(requests[1].StatusCode, Is.EqualTo(400));
                }
                else
                {
                    Assert.That(requests[1].IsReplay, Is.True, "Stripe replayed its first answer");
                    Assert.That(requests[1].StatusCode, Is.EqualTo(200));
                }
            }
        });
    }

    [Test]
    public async Task ReportAsync_ReporterProcessKilledWhileStripeAnswers_NextReporterDeliversEverythingExactlyOnce()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCalls); // the test host sends the meter's name as the event name
        var customers = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var prepare = BuildProvider())
        {
            for (var i = 0; i < 10; i++)
            {
                var account = $"acct_{i:D2}";
                customers[account] = Stripe.AddCustomer();
                await MapAsync(prepare, account, customers[account]);
                for (var hour = 1; hour <= 3; hour++)
                {
                    await RecordAsync(prepare, account, ApiCalls, (i * 10) + hour, HoursBeforeStart(hour));
                }
            }
        }

        await DisposeProvidersAsync();

        // Stripe accepts each event, then its answer hangs: the child dies between Stripe's acceptance and marking the report sent.
        var hang = Stripe.Faults.Add("POST", MeterEventsPath, StripeFault.Delay(TimeSpan.FromSeconds(30)), FaultTiming.AfterProcessing);
        List<string> acceptedBeforeKill;
        IReadOnlyList<string> childOutput;
        int childExitCode;
        using (var child = TestHostProcess.StartReporter(Database.Path, StripeBase, ApiKey, ApiCalls, leaseSeconds: 30))
        {
            await Poll.UntilAsync(
                () => Stripe.AcceptedIdentifiers.Count > 0 || child.HasExited,
                HangGuard,
                () => "the child's first meter event: " + string.Join(" | ", child.Output));
            Assert.That(child.HasExited, Is.False, () => "the child ended on its own: " + string.Join(" | ", child.Output));
            await child.KillAsync();
            acceptedBeforeKill = Stripe.AcceptedIdentifiers.ToList();
            childOutput = child.Output;
            childExitCode = child.ExitCode;
        }

        TestContext.Out.WriteLine($"Stripe accepted {acceptedBeforeKill.Count} events before the child was killed; the child wrote: {string.Join(" | ", childOutput)}");
        var provider = BuildProvider(billing: u => u.AddMeter(ApiCalls, m => m.StripeEventName = null));
        var afterKill = await ReportsAsync(provider);
        Assert.Multiple(() =>
        {
            Assert.That(childOutput, Has.Some.EqualTo("READY").And.None.StartsWith("DONE"), "killed mid-run");
            Assert.That(childExitCode, Is.Not.Zero, "killed, not ended");
            Assert.That(afterKill, Has.Count.EqualTo(30), "the child closed every counter");
            Assert.That(acceptedBeforeKill, Is.Not.Empty.And.SubsetOf(afterKill.Select(r => r.Identifier)));
            Assert.That(afterKill.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Pending), "accepted by Stripe, still pending in the ledger");
            Assert.That(afterKill.Where(r => acceptedBeforeKill.Contains(r.Identifier)).Select(r => r.Attempts), Is.All.EqualTo(1));
        });

        // A reporter in this process, once the child's lease (30 s of real time) expired.
        Assert.That(Stripe.Faults.Remove(hang), Is.True);
        Clock.MoveTo(TimeProvider.System.GetUtcNow() + TimeSpan.FromMinutes(1));
        await RunUntilSettledAsync(provider);

        var reports = await ReportsAsync(provider);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(reports.Select(r => r.Identifier)));
            Assert.That(reports.Select(r => Stripe.CountAcceptedIdentifier(r.Identifier)), Is.All.EqualTo(1), "every identifier accepted exactly once");
            foreach (var (account, customer) in customers)
            {
                Assert.That(Stripe.GetMeterTotal(ApiCalls, customer), Is.EqualTo(await LocalTotalAsync(provider, account, ApiCalls)), account);
            }

            foreach (var identifier in acceptedBeforeKill)
            {
                var resent = MeterEventRequests().Where(r => r.IdempotencyKey == identifier).ToList();
                Assert.That(resent, Has.Count.EqualTo(2), "once by the child, once by the next reporter");
                Assert.That(resent[^1].IsReplay, Is.True, "Stripe replayed the answer the child never read");
            }
        });
    }

    /// <summary>Dies after the real sink's delivery succeeded, on each report's first attempt: the crash between Stripe's acceptance and the ledger.</summary>
    private sealed class CrashAfterAcceptance(StripeMeterEventSink inner) : IUsageSink, IDisposable
    {
        private readonly ConcurrentDictionary<string, bool> _crashed = new(StringComparer.Ordinal);

        public int Crashes => _crashed.Count;

        public async Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
        {
            var result = await inner.DeliverAsync(delivery, cancellationToken);
            if (result.Outcome == DeliveryOutcome.Delivered && _crashed.TryAdd(delivery.Report.Identifier, true))
            {
                throw new IOException("Simulated crash after Stripe accepted the report.");
            }

            return result;
        }

        public void Dispose() => inner.Dispose();
    }
}
