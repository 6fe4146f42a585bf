namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// The HTTP path from one simulated process to the Stripe stand-in: a dead process sends nothing, and an armed delivery
/// crash strikes just before a request leaves or just after Stripe's answer arrived (Stripe has the event, the
/// process never learns it).
/// </summary>
public sealed class CrashingStripeHandler(ProcessLife life, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        life.ThrowIfDead();
        if (life.Strikes(CrashPoint.DeliveryBeforeSend))
        {
            life.ThrowIfDead();
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (life.Strikes(CrashPoint.DeliveryAfterStripeAnswered) || life.IsDead)
        {
            response.Dispose();
            life.ThrowIfDead();
        }

        return response;
    }
}
