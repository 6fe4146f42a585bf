namespace Gravity.Usage;

/// <summary>A meter event the billing back end rejected after answering it (Stripe's asynchronous meter errors).</summary>
/// <param name="Identifier">The event's identifier: the report's.</param>
/// <param name="RejectedBy">
/// The end of the back end's validation window that found the error (Stripe's <c>validation_end</c>): the event was
/// received before it. A report delivered well after it (re-driven and sent again) is not the rejected event.
/// <see langword="null"/> when the back end did not say.
/// </param>
/// <param name="Reason">The back end's reason (code and message); never a secret.</param>
public sealed record UsageRejection(string Identifier, DateTimeOffset? RejectedBy, string Reason);
