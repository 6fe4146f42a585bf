using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore.Flush;

/// <summary>
/// The bounded queue between the webhook endpoint and <see cref="InvoiceFlushService"/>: the endpoint answers Stripe as
/// soon as a flush is queued, and answers 503 (Stripe resends) when the queue is full, so memory stays bounded.
/// </summary>
internal sealed class InvoiceFlushQueue(IOptions<StripeUsageWebhookOptions> options)
{
    private readonly Channel<InvoiceFlush> _channel = Channel.CreateBounded<InvoiceFlush>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    /// <summary>Gets the flushes waiting, for the worker.</summary>
    public ChannelReader<InvoiceFlush> Reader => _channel.Reader;

    /// <summary>Queues a flush without waiting.</summary>
    /// <param name="flush">The flush.</param>
    /// <returns><see langword="false"/> when the queue is full.</returns>
    public bool TryEnqueue(InvoiceFlush flush) => _channel.Writer.TryWrite(flush);
}
