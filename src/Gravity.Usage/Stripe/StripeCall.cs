using System.Diagnostics;
using Gravity.Usage.Telemetry;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Measures one Stripe.net call: its span and its <c>gravity.usage.stripe.request.duration</c> measurement, tagged
/// with the API and what came of it. Only fixed words and Stripe's request id are tagged: never a key, a session
/// token or an error message (which might echo either).
/// </summary>
/// <remarks>A call that ends neither delivered nor failed (the run was cancelled) is recorded as <c>cancelled</c>.</remarks>
internal sealed class StripeCall : IDisposable
{
    private readonly UsageInstruments _instruments;
    private readonly Activity? _activity;
    private readonly string _api;
    private readonly long _started;
    private string _outcome = UsageTags.Cancelled;

    private StripeCall(UsageInstruments instruments, string api, int events)
    {
        _instruments = instruments;
        _api = api;
        _activity = UsageActivities.Source.StartActivity(UsageActivities.StripeRequest, ActivityKind.Client);
        if (_activity is not null)
        {
            _activity.SetTag(UsageTags.StripeApi, api);
            _activity.SetTag(UsageTags.StripeEvents, events);
        }

        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts measuring a call to <paramref name="api"/> carrying <paramref name="events"/> events (0 for a session).</summary>
    public static StripeCall Start(StripeTransport transport, string api, int events) => new(transport.Instruments, api, events);

    /// <summary>Stripe took the request.</summary>
    /// <param name="requestId">Stripe's request id, already redacted.</param>
    public void Delivered(string? requestId) => End(UsageTags.Delivered, requestId, error: false);

    /// <summary>The call failed as <paramref name="failure"/> says.</summary>
    public void Failed(StripeFailure failure)
    {
        var outcome = failure.Kind switch
        {
            StripeFailureKind.DuplicateIdentifier => UsageTags.Duplicate,
            StripeFailureKind.Permanent => UsageTags.Permanent,
            _ => UsageTags.Transient,
        };
        End(outcome, failure.RequestId, error: outcome != UsageTags.Duplicate);
    }

    /// <summary>Records the duration and ends the span.</summary>
    public void Dispose()
    {
        var elapsed = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        if (_instruments.StripeDuration.Enabled)
        {
            _instruments.StripeDuration.Record(elapsed, new TagList { { UsageTags.StripeApi, _api }, { UsageTags.StripeOutcome, _outcome } });
        }

        if (_activity is not null)
        {
            _activity.SetTag(UsageTags.StripeOutcome, _outcome);
            if (_outcome == UsageTags.Cancelled)
            {
                _activity.SetStatus(ActivityStatusCode.Error, UsageTags.Cancelled);
            }

            _activity.Dispose();
        }
    }

    private void End(string outcome, string? requestId, bool error)
    {
        _outcome = outcome;
        if (_activity is not null)
        {
            if (requestId is not null)
            {
                _activity.SetTag(UsageTags.StripeRequestId, requestId);
            }

            if (error)
            {
                _activity.SetStatus(ActivityStatusCode.Error, outcome);
            }
        }
    }
}
