using System.Net;
using System.Text;

namespace Gravity.Usage.Testing.Internal;

/// <summary>Serves requests in-process, through the same engine as the loopback server.</summary>
internal sealed class InProcessHandler(StandInEngine engine) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI; give the HttpClient a BaseAddress (StripeStandIn.InProcessBaseAddress).");
        if (!uri.IsAbsoluteUri)
        {
            uri = new Uri(StripeStandIn.InProcessBaseAddress, uri);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = string.Join(", ", values);
        }

        var body = string.Empty;
        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers)
            {
                headers[name] = string.Join(", ", values);
            }

            body = await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }

        var standInRequest = new StandInRequest
        {
            Method = request.Method.Method.ToUpperInvariant(),
            Path = Uri.UnescapeDataString(uri.AbsolutePath),
            Query = uri.Query.TrimStart('?'),
            Headers = headers,
            Body = body,
        };

        var response = await engine.ProcessAsync(standInRequest, cancellationToken).ConfigureAwait(false);
        switch (response.Disposition)
        {
            case ResponseDisposition.DropConnection:
                throw new HttpRequestException(
                    HttpRequestError.ResponseEnded,
                    "The Stripe stand-in dropped the connection (injected fault).",
                    new IOException("The response ended prematurely: the connection was closed by the server."));
            case ResponseDisposition.Abandoned:
                cancellationToken.ThrowIfCancellationRequested();
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The Stripe stand-in abandoned the request.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var message = new HttpResponseMessage((HttpStatusCode)response.StatusCode)
        {
            RequestMessage = request,
            Content = new StringContent(response.Body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in response.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }
}
