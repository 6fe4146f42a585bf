using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

/// <summary>
/// The use the stand-in is made for: a client that retries with the same identifier and Idempotency-Key, under random
/// faults before and after processing, concurrently, gets every unit to "Stripe" exactly once.
/// </summary>
[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class ExactlyOnceTests(Transport transport) : StandInTest(transport)
{
    [Test]
    public async Task MeterEvents_RetryingClientUnderRandomFaults_DeliversEveryEventExactlyOnce()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddCustomer("cus_2");
        Stripe.AddMeter("api_calls");
        const string path = "/v1/billing/meter_events";
        Stripe.Faults.FailRandomly("POST", path, StripeFault.ServerError(503, shouldRetry: true), 0.1, FaultTiming.AfterProcessing);
        Stripe.Faults.FailRandomly("POST", path, StripeFault.DropConnection(), 0.1, FaultTiming.AfterProcessing);
        Stripe.Faults.FailRandomly("POST", path, StripeFault.TooManyRequests(shouldRetry: true), 0.1);
        Stripe.Faults.FailRandomly("POST", path, StripeFault.ServerError(500), 0.1);
        Stripe.Faults.FailRandomly("POST", path, StripeFault.DropConnection(), 0.05);

        var expected = new ConcurrentDictionary<string, long>();
        var events = Enumerable.Range(0, 300).Select(i => (Id: $"evt-{i}", Customer: i % 2 == 0 ? "cus_1" : "cus_2", Value: (i % 7) + 1)).ToArray();
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (e, _) =>
        {
            await DeliverAsync(e.Id, e.Customer, e.Value);
            expected.AddOrUpdate(e.Customer, e.Value, (_, total) => total + e.Value);
        });

        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(expected["cus_1"]));
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_2"), Is.EqualTo(expected["cus_2"]));
            Assert.That(Stripe.AcceptedIdentifiers, Has.Count.EqualTo(events.Length));
            Assert.That(events.Select(e => Stripe.CountAcceptedIdentifier(e.Id)), Is.All.EqualTo(1));
            Assert.That(Stripe.Faults.TotalStrikes, Is.GreaterThan(0));
            Assert.That(Stripe.CountRequests("POST", path), Is.EqualTo(events.Length + Stripe.Faults.TotalStrikes), "one attempt per fault plus one success each");
        });
    }

    private async Task DeliverAsync(string identifier, string customer, int value)
    {
        var body = Form.Encode(
            ("event_name", "api_calls"),
            ("payload[stripe_customer_id]", customer),
            ("payload[value]", value.ToString(CultureInfo.InvariantCulture)),
            ("identifier", identifier),
            ("timestamp", NowUnix.ToString(CultureInfo.InvariantCulture)));
        for (var attempt = 1; attempt <= 50; attempt++)
        {
            try
            {
                using var response = await PostAsync("/v1/billing/meter_events", body, idempotencyKey: identifier);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                var error = (await JsonAsync(response)).GetProperty("error");
                if (error.TryGetProperty("code", out var code) && code.GetString() == "duplicate_meter_event")
                {
                    return;
                }

                Assert.That((int)response.StatusCode, Is.AnyOf(409, 429, 500, 502, 503), error.ToString());
            }
            catch (HttpRequestException)
            {
                // The connection dropped: unknown outcome, retry with the same key.
            }
        }

        Assert.Fail($"{identifier} was not delivered in 50 attempts");
    }
}
