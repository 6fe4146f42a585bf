namespace Gravity.Usage.AspNetCore.Flush;

/// <summary>One invoice's flush: report the usage of every account of its customer.</summary>
/// <param name="EventId">The Stripe event that asked for it.</param>
/// <param name="InvoiceId">The draft invoice.</param>
/// <param name="CustomerId">The invoice's Stripe customer.</param>
internal sealed record InvoiceFlush(string EventId, string? InvoiceId, string CustomerId);
