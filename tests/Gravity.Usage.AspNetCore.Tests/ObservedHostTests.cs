using System.Diagnostics;
using System.Net;
using Gravity.Usage.AspNetCore.Tests.Support;
using Gravity.Usage.Testing;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>
/// An ASP.NET Core application set up as the README says, observed from outside: what OpenTelemetry's in-memory
/// exporter receives from the library after requests and a report run, and what <c>/health</c> answers in each state.
/// </summary>
public sealed class ObservedHostTests : ObservedHostTest
{
    private const string MeterEventsPath = "/v1/billing/meter_events";
    private const string Ledger = "gravity-usage-ledger";
    private const string Outbox = "gravity-usage-outbox";

    [Test]
    public async Task ObservedHost_RequestsAndAReportRun_ExportMetricsAndSpansThroughOpenTelemetry()
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_otel");
        await MapAsync(app, "acct_1", customer);
        var statuses = new[]
        {
            await PostCallAsync(app, "acct_1", key: "req-1"),
            await PostCallAsync(app, "acct_1", key: "req-1"), // a client retry: counted once, as a duplicate
            await PostCallAsync(app, "acct_1"),
        };
        Clock.Advance(TimeSpan.FromHours(1)); // the calls' hour has ended: its counter can be reported

        var run = await ReportAsync(app);

        var increments = Metric(app, "gravity.usage.increments");
        var reports = Metric(app, "gravity.usage.reports");
        var stripeDuration = Metric(app, "gravity.usage.stripe.request.duration");
        var commitDuration = Metric(app, "gravity.usage.commit.duration");
        var stripeCall = Stripe.Requests.Single(r => r.Method == "POST" && r.Path == MeterEventsPath);
        var runSpan = Spans.Single(s => s.OperationName == "usage.report_run");
        var batchSpan = Spans.Single(s => s.OperationName == "usage.delivery_batch");
        var stripeSpan = Spans.Single(s => s.OperationName == "usage.stripe_request");
        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That((run.Closed, run.Sent, run.Failed), Is.EqualTo((1, 1, 0)));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(2));

            Assert.That(increments.MeterName, Is.EqualTo(UsageTelemetry.MeterName));
            Assert.That(increments.Unit, Is.EqualTo("{increment}"));
            Assert.That(ValueAt(increments, ("gravity.usage.meter", ApiCalls), ("gravity.usage.outcome", "recorded")), Is.EqualTo(2));
            Assert.That(ValueAt(increments, ("gravity.usage.meter", ApiCalls), ("gravity.usage.outcome", "duplicate")), Is.EqualTo(1));
            Assert.That(reports.Unit, Is.EqualTo("{report}"));
            Assert.That(ValueAt(reports, ("gravity.usage.report.status", "closed")), Is.EqualTo(1));
            Assert.That(ValueAt(reports, ("gravity.usage.report.status", "sent")), Is.EqualTo(1));
            Assert.That(ValueAt(reports, ("gravity.usage.report.status", "failed")), Is.Zero);
            Assert.That(stripeDuration.Unit, Is.EqualTo("s"));
            Assert.That(ValueAt(stripeDuration, ("gravity.usage.stripe.api", "meter_events"), ("gravity.usage.stripe.outcome", "delivered")), Is.EqualTo(1));
            Assert.That(commitDuration.Unit, Is.EqualTo("s"));
            Assert.That(ValueAt(commitDuration, ("gravity.usage.outcome", "committed")), Is.GreaterThanOrEqualTo(1));

            Assert.That(runSpan.GetTagItem("gravity.usage.reports.closed"), Is.EqualTo(1));
            Assert.That(runSpan.GetTagItem("gravity.usage.reports.sent"), Is.EqualTo(1));
            Assert.That(batchSpan.ParentSpanId, Is.EqualTo(runSpan.SpanId), "the batch is a child of the run");
            Assert.That(stripeSpan.ParentSpanId, Is.EqualTo(batchSpan.SpanId), "the Stripe call is a child of its batch");
            Assert.That(stripeSpan.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(stripeSpan.GetTagItem("gravity.usage.stripe.outcome"), Is.EqualTo("delivered"));
            Assert.That(stripeSpan.GetTagItem("gravity.usage.stripe.request_id"), Is.EqualTo(stripeCall.RequestId), "Stripe's own request id, to quote to Stripe support");
            Assert.That(stripeSpan.Status, Is.Not.EqualTo(ActivityStatusCode.Error));
            Assert.That(Spans.Where(s => s.OperationName == "usage.group_commit"), Is.Not.Empty);
        });
    }

    [Test]
    public async Task HealthEndpoint_UsageDelivered_IsHealthy()
    {
        var app = await StartHostAsync();
        await MapAsync(app, "acct_1", Stripe.AddCustomer("cus_ok"));
        await PostCallAsync(app, "acct_1");
        Clock.Advance(TimeSpan.FromHours(1));
        var run = await ReportAsync(app);

        var health = await GetHealthAsync(app);

        Assert.Multiple(() =>
        {
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That((health.HttpStatus, health.Status), Is.EqualTo((HttpStatusCode.OK, "Healthy")));
            Assert.That(health.Entries.Keys, Is.EquivalentTo(new[] { Ledger, Outbox }));
            Assert.That(health.Entries.Values.Select(e => e.Status), Is.All.EqualTo("Healthy"));
        });
    }

    [Test]
    public async Task HealthEndpoint_StripeRefusesTheCustomer_OutboxIsDegradedAndTheFailureIsExported()
    {
        var app = await StartHostAsync();
        await MapAsync(app, "acct_1", "cus_deleted");
        Stripe.Faults.Add("POST", MeterEventsPath, StripeFault.Status(400, "invalid_request_error", "No such customer: 'cus_deleted'", "resource_missing"));
        await PostCallAsync(app, "acct_1");
        Clock.Advance(TimeSpan.FromHours(1));
        var run = await ReportAsync(app);

        var health = await GetHealthAsync(app);

        var reports = Metric(app, "gravity.usage.reports");
        var stripeDuration = Metric(app, "gravity.usage.stripe.request.duration");
        var stripeSpan = Spans.Single(s => s.OperationName == "usage.stripe_request");
        Assert.Multiple(() =>
        {
            Assert.That(run.Failed, Is.EqualTo(1));
            // Degraded, not Unhealthy: the application still serves; revenue waits for someone to re-drive the report.
            Assert.That((health.HttpStatus, health.Status), Is.EqualTo((HttpStatusCode.OK, "Degraded")));
            Assert.That(health.Entries[Outbox].Status, Is.EqualTo("Degraded"));
            Assert.That(health.Entries[Outbox].Description, Does.Contain("failed reports"));
            Assert.That(health.Entries[Ledger].Status, Is.EqualTo("Healthy"));
            Assert.That(ValueAt(reports, ("gravity.usage.report.status", "failed")), Is.EqualTo(1));
            Assert.That(ValueAt(stripeDuration, ("gravity.usage.stripe.api", "meter_events"), ("gravity.usage.stripe.outcome", "permanent")), Is.EqualTo(1));
            Assert.That(stripeSpan.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(stripeSpan.GetTagItem("gravity.usage.stripe.request_id"), Is.EqualTo(Stripe.Requests.Single(r => r.Path == MeterEventsPath).RequestId));
        });
    }

    [Test]
    public async Task HealthEndpoint_ReportPendingLongerThanMaxPendingAge_OutboxIsDegraded()
    {
        var app = await StartHostAsync(outbox: o => o.MaxPendingAge = TimeSpan.FromHours(2));
        await MapAsync(app, "acct_1", Stripe.AddCustomer("cus_waiting"));
        Stripe.Faults.Add("POST", MeterEventsPath, StripeFault.ServerError(503));
        await PostCallAsync(app, "acct_1");
        Clock.Advance(TimeSpan.FromHours(1));
        var run = await ReportAsync(app);

        var young = await GetHealthAsync(app);
        Clock.Advance(TimeSpan.FromMinutes(121)); // Stripe still down: the report is now 121 min old
        var old = await GetHealthAsync(app);

        Assert.Multiple(() =>
        {
            Assert.That(run.WaitingForRetry, Is.EqualTo(1));
            Assert.That(young.Status, Is.EqualTo("Healthy"), young.Entries[Outbox].Description);
            Assert.That((old.HttpStatus, old.Status), Is.EqualTo((HttpStatusCode.OK, "Degraded")));
            Assert.That(old.Entries[Outbox].Description, Does.Contain("pending for 121 min, longer than 120 min"));
            Assert.That(old.Entries[Ledger].Status, Is.EqualTo("Healthy"));
        });
    }

    [Test]
    public async Task HealthEndpoint_LedgerMigratedByANewerVersion_IsUnhealthy()
    {
        var first = await StartHostAsync();
        var recorded = await PostCallAsync(first, "acct_1");
        await StopHostAsync(first);
        // What a rollback finds: a newer release of the library has moved the ledger's schema on.
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO usage_schema_version (version, name, applied_at) VALUES (99, 'from_the_future', '2030-01-01')";
            command.ExecuteNonQuery();
        }

        var rolledBack = await StartHostAsync();
        var health = await GetHealthAsync(rolledBack);

        Assert.Multiple(() =>
        {
            Assert.That(recorded, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((health.HttpStatus, health.Status), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "Unhealthy")));
            Assert.That(health.Entries[Ledger].Status, Is.EqualTo("Unhealthy"));
            Assert.That(health.Entries[Ledger].Description, Does.Contain("schema is at version 99, newer than"));
            Assert.That(health.Entries[Outbox].Status, Is.EqualTo("Unhealthy"));
        });
    }

    [Test]
    public async Task HealthEndpoint_LedgerFileIsNotADatabase_IsUnhealthy()
    {
        await File.WriteAllTextAsync(DatabasePath, "these bytes were never a SQLite database, whatever a restore put here");

        var app = await StartHostAsync();
        var health = await GetHealthAsync(app);

        Assert.Multiple(() =>
        {
            Assert.That((health.HttpStatus, health.Status), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "Unhealthy")));
            Assert.That(health.Entries[Ledger].Status, Is.EqualTo("Unhealthy"));
            Assert.That(health.Entries[Ledger].Description, Does.Contain("cannot be reached or its schema is not current"));
            // The outbox lives in the same file: it cannot be judged, which is Unhealthy rather than a guess.
            Assert.That(health.Entries[Outbox].Status, Is.EqualTo("Unhealthy"));
            Assert.That(health.Entries[Outbox].Description, Does.Contain("outbox cannot be read"));
        });
    }
}
