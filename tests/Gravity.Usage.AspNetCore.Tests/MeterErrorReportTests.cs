using System.Net;
using Gravity.Usage.AspNetCore.Tests.Support;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>A signed <c>v1.billing.meter.error_report_triggered</c> marks the reports Stripe rejected failed, through the reconciler.</summary>
public sealed class MeterErrorReportTests : WebhookTest
{
    [Test]
    public async Task MeterErrorReport_NamingASentReport_MarksItFailedWithStripesReason()
    {
        var app = await StartHostAsync(billing: u => u.ConfigureReporting(o => o.RetryBaseDelay = TimeSpan.FromSeconds(1)));
        var customer = Stripe.AddCustomer("cus_rejected");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 3);
        var reporter = app.Services.GetRequiredService<IUsageReporter>();
        var reports = app.Services.GetRequiredService<IUsageReportStore>();

        // The first attempt is dropped, so the identifier is known before Stripe sees the event; Stripe then takes it
        // with 200 and rejects it later.
        var drop = Stripe.Faults.FailNext("POST", "/v1/billing/meter_events", StripeFault.DropConnection(), count: 100);
        Assert.That((await reporter.ReportAccountAsync("acct_1")).WaitingForRetry, Is.EqualTo(1));
        Stripe.Faults.Remove(drop);
        var report = (await reports.ListReportsAsync(new UsageReportQuery { Account = "acct_1" })).Single();
        Stripe.RejectMeterEventAsynchronously(report.Identifier, "meter_event_customer_not_found", "No such customer: 'cus_rejected'.");
        await Poll.UntilAsync(
            async () => (await reporter.ReportAccountAsync("acct_1")).Sent == 1 || (await reports.ListReportsAsync(new UsageReportQuery { Account = "acct_1" })).Single().Status == UsageReportStatus.Sent,
            () => "the report was not delivered");
        var error = Stripe.MeterEventErrors.Single();
        var eventId = "evt_standin_mer0001";

        using var response = await PostSignedAsync(app, StripeEvents.MeterErrorReport(eventId));
        var failed = (await reports.ListReportsAsync(new UsageReportQuery { Account = "acct_1" })).Single();

        Assert.Multiple(async () =>
        {
            Assert.That(error.Identifier, Is.EqualTo(report.Identifier));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ReadAsync(response));
            Assert.That(await ReadAsync(response), Does.Contain("accepted"));
            Assert.That(failed.Status, Is.EqualTo(UsageReportStatus.Failed));
            Assert.That(failed.LastError, Does.Contain("meter_event_customer_not_found"));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.Zero, "Stripe never counted it");
        });
    }

    [Test]
    public async Task MeterErrorReport_StripeDoesNotKnow_Is200AndChangesNothing()
    {
        var app = await StartHostAsync();

        using var response = await PostSignedAsync(app, StripeEvents.MeterErrorReport("evt_not_at_stripe"));

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await ReadAsync(response), Does.Contain("ignored"));
            Assert.That(Stripe.CountRequests("GET", "/v2/core/events"), Is.EqualTo(1));
        });
    }
}
