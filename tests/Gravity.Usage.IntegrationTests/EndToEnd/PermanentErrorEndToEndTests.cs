using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// Stripe's refusals park a report as failed with Stripe's message and request id; once the cause is fixed, a re-drive
/// delivers it under the same identifier with a fresh Idempotency-Key (DESIGN §5).
/// </summary>
public sealed class PermanentErrorEndToEndTests : EndToEndTest
{
    [Test]
    public async Task ReportAsync_UnknownStripeCustomer_ParksAsFailedWithStripesAnswer_RedriveAfterTheFixDelivers()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var provider = BuildProvider();
        var reporter = provider.GetRequiredService<IUsageReporter>();
        var good = Stripe.AddCustomer();
        await MapAsync(provider, "acct_ok", good);
        await MapAsync(provider, "acct_typo", "cus_DoesNotExist");
        await RecordAsync(provider, "acct_ok", ApiCalls, 5, HoursBeforeStart(1));
        await RecordAsync(provider, "acct_typo", ApiCalls, 7, HoursBeforeStart(1));

        var refused = await reporter.ReportAsync();

        var failed = (await ReportsAsync(provider, UsageReportStatus.Failed)).Single();
        var answer = MeterEventRequests().Single(r => Form(r)["payload[stripe_customer_id]"] == "cus_DoesNotExist");
        Assert.Multiple(() =>
        {
            Assert.That(refused.Sent, Is.EqualTo(1), "the other account is not held up");
            Assert.That(refused.Failed, Is.EqualTo(1));
            Assert.That(refused.Failures.Select(r => r.Id), Is.EqualTo(new[] { failed.Id }));
            Assert.That(refused.Failures[0].LastError, Is.EqualTo(failed.LastError));
            Assert.That(refused.Failures[0].LastRequestId, Is.EqualTo(answer.RequestId));
            Assert.That(failed.Account, Is.EqualTo("acct_typo"));
            Assert.That(failed.LastError, Does.Contain("No such customer: 'cus_DoesNotExist'"), "Stripe's message");
            Assert.That(failed.LastError, Does.Contain("400").And.Contain(answer.RequestId), "status and request id");
            Assert.That(failed.LastRequestId, Is.EqualTo(answer.RequestId));
            Assert.That(answer.StatusCode, Is.EqualTo(400));
            Assert.That(failed.Attempts, Is.EqualTo(1), "a refusal is not retried");
        });

        // Later runs leave it alone.
        Clock.Advance(TimeSpan.FromHours(2));
        var idle = await reporter.ReportAsync();
        Assert.Multiple(() =>
        {
            Assert.That(idle.Sent + idle.Failed, Is.Zero);
            Assert.That(MeterEventRequests(), Has.Count.EqualTo(2));
        });

        // Fixed: the mapping names the right customer. Stripe stored its refusal under the first Idempotency-Key.
        var customer = Stripe.AddCustomer();
        await MapAsync(provider, "acct_typo", customer);
        var redriven = await reporter.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Failed });
        var delivered = await reporter.ReportAsync();

        var report = (await ReportsAsync(provider, account: "acct_typo")).Single();
        var requests = MeterEventRequests().Where(r => Form(r)["identifier"] == failed.Identifier).ToList();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(redriven, Is.EqualTo(1));
            Assert.That(delivered.Sent, Is.EqualTo(1));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(report.Identifier, Is.EqualTo(failed.Identifier), "the identifier is unchanged");
            Assert.That(report.RedriveCount, Is.EqualTo(1));
            Assert.That(report.IdempotencyKey, Is.EqualTo(failed.Identifier + "-r1"));
            Assert.That(requests.Select(r => r.IdempotencyKey), Is.EqualTo(new[] { failed.Identifier, failed.Identifier + "-r1" }), "a fresh key the second time");
            Assert.That(requests[1].IsReplay, Is.False);
            Assert.That(Stripe.CountAcceptedIdentifier(failed.Identifier), Is.EqualTo(1));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, "acct_typo", ApiCalls)));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, good), Is.EqualTo(await LocalTotalAsync(provider, "acct_ok", ApiCalls)));
        });
    }

    [Test]
    public async Task ReportAsync_WrongApiKey_ParksAsFailedWithStripesAnswer_RedriveWithTheRightKeyDelivers()
    {
        var wrongKey = "sk_test_revoked_" + Guid.NewGuid().ToString("N");
        await StartStripeAsync(o => o.AcceptApiKey = key => key == ApiKey);
        Stripe.AddMeter(ApiCallsEvent);
        var customer = Stripe.AddCustomer();
        var misconfigured = BuildProvider(stripe: o => o.ApiKey = wrongKey);
        await MapAsync(misconfigured, "acct", customer);
        await RecordAsync(misconfigured, "acct", ApiCalls, 5, HoursBeforeStart(2));
        await RecordAsync(misconfigured, "acct", ApiCalls, 6, HoursBeforeStart(1));

        var refused = await misconfigured.GetRequiredService<IUsageReporter>().ReportAsync();

        var failed = await ReportsAsync(misconfigured, UsageReportStatus.Failed);
        var answers = MeterEventRequests();
        Assert.Multiple(() =>
        {
            Assert.That(refused.Failed, Is.EqualTo(2));
            Assert.That(refused.Failures.Select(r => r.LastRequestId), Is.EquivalentTo(answers.Select(a => a.RequestId)));
            Assert.That(failed, Has.Count.EqualTo(2));
            Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(401));
            foreach (var report in failed)
            {
                Assert.That(report.LastError, Does.Contain("401").And.Contain("Invalid API Key provided"), "Stripe's message");
                Assert.That(report.LastRequestId, Is.Not.Null.And.AnyOf(answers.Select(a => a.RequestId).ToArray()));
                Assert.That(report.LastError, Does.Contain(report.LastRequestId!));
                Assert.That(report.Attempts, Is.EqualTo(1), "a refusal is not retried");
            }

            Assert.That(Stripe.AcceptedIdentifiers, Is.Empty);
        });

        // Fixed: the host restarts with the right key, re-drives and reports.
        await DisposeProvidersAsync();
        var provider = BuildProvider();
        var reporter = provider.GetRequiredService<IUsageReporter>();
        var redriven = await reporter.RedriveAsync(new UsageReportQuery { Status = UsageReportStatus.Failed, Account = "acct" });
        var delivered = await reporter.ReportAsync();

        var reports = await ReportsAsync(provider);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(redriven, Is.EqualTo(2));
            Assert.That(delivered.Sent, Is.EqualTo(2));
            Assert.That(reports.Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Sent));
            Assert.That(reports.Select(r => r.Identifier), Is.EquivalentTo(failed.Select(r => r.Identifier)), "the identifiers are unchanged");
            foreach (var report in reports)
            {
                var requests = MeterEventRequests().Where(r => Form(r)["identifier"] == report.Identifier).ToList();
                Assert.That(requests.Select(r => r.IdempotencyKey), Is.EqualTo(new[] { report.Identifier, report.Identifier + "-r1" }));
                Assert.That(requests.Select(r => r.StatusCode), Is.EqualTo(new int?[] { 401, 200 }));
                Assert.That(Stripe.CountAcceptedIdentifier(report.Identifier), Is.EqualTo(1));
            }

            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, "acct", ApiCalls)).And.EqualTo(11));
        });
    }
}
