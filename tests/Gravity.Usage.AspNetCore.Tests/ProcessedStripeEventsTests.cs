using Gravity.Usage.AspNetCore.Webhooks;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>The processed-event memory: one claim per id, forgotten after the retention or beyond the capacity.</summary>
public sealed class ProcessedStripeEventsTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    [Test]
    public void TryClaim_SameIdTwice_IsClaimedOnce()
    {
        var events = Create(new StripeUsageWebhookOptions());

        Assert.Multiple(() =>
        {
            Assert.That(events.TryClaim("evt_1"), Is.True);
            Assert.That(events.TryClaim("evt_1"), Is.False);
            Assert.That(events.TryClaim("evt_2"), Is.True);
        });
    }

    [Test]
    public void TryClaim_ReleasedId_IsClaimedAgain()
    {
        var events = Create(new StripeUsageWebhookOptions());
        events.TryClaim("evt_1");

        events.Release("evt_1");

        Assert.That(events.TryClaim("evt_1"), Is.True);
    }

    [Test]
    public void TryClaim_AfterTheRetention_IdIsForgotten()
    {
        var events = Create(new StripeUsageWebhookOptions { ProcessedEventRetention = TimeSpan.FromHours(1) });
        events.TryClaim("evt_1");

        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.That(events.TryClaim("evt_1"), Is.False, "still remembered within the retention");
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(events.TryClaim("evt_1"), Is.True, "forgotten after it");
    }

    [Test]
    public void TryClaim_BeyondTheCapacity_OldestIdsAreForgotten()
    {
        var events = Create(new StripeUsageWebhookOptions { ProcessedEventCapacity = 2 });
        events.TryClaim("evt_1");
        events.TryClaim("evt_2");
        events.TryClaim("evt_3");

        Assert.Multiple(() =>
        {
            Assert.That(events.TryClaim("evt_3"), Is.False);
            Assert.That(events.TryClaim("evt_1"), Is.True, "the oldest was forgotten");
        });
    }

    private ProcessedStripeEvents Create(StripeUsageWebhookOptions options) => new(Options.Create(options), _clock);
}
