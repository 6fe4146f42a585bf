namespace Gravity.Usage.Testing;

/// <summary>How the stand-in answers a meter event whose <c>identifier</c> it already accepted within the uniqueness window.</summary>
/// <remarks>
/// Either way the repeated event is not counted again. Stripe documents that it enforces identifier uniqueness but not
/// what a v1 client sees, so both answers are available.
/// </remarks>
public enum DuplicateIdentifierBehavior
{
    /// <summary>
    /// Answer 400 with <c>{"error":{"type":"invalid_request_error","code":"duplicate_meter_event","message":"An event
    /// with identifier '&lt;id&gt;' already exists.","param":"identifier"}}</c>.
    /// </summary>
    Reject,

    /// <summary>Answer 200 with the meter event as sent, silently not counting it again.</summary>
    Accept,
}
