using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gravity.Usage.IntegrationTests.Stripe;

/// <summary>A request exactly as it arrived on the socket: request line, headers in order, body bytes.</summary>
internal sealed record RawRequest(string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// A minimal HTTP/1.1 listener on 127.0.0.1 that records raw requests and answers each from a script
/// (status, JSON body, extra headers), closing the connection after every answer.
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Queue<(int Status, string Body, string[] Headers)> _script = new();
    private readonly List<RawRequest> _requests = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RawHttpServer()
    {
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public IReadOnlyList<RawRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public RawHttpServer Then(int status, string body = "{}", params string[] headers)
    {
        lock (_script)
        {
            _script.Enqueue((status, body, headers));
        }

        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            try
            {
                await AnswerAsync(client);
            }
            catch (IOException)
            {
                // The client gave up on this connection (a timeout or a cancelled call); keep listening.
            }
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        {
            await using var stream = client.GetStream();
            var request = await ReadRequestAsync(stream, _stop.Token);
            lock (_requests)
            {
                _requests.Add(request);
            }

            (int Status, string Body, string[] Headers) answer;
            lock (_script)
            {
                answer = _script.Count > 0 ? _script.Dequeue() : (500, "{\"error\":{\"type\":\"api_error\",\"message\":\"No scripted answer.\"}}", []);
            }

            var body = Encoding.UTF8.GetBytes(answer.Body);
            var head = new StringBuilder()
                .Append("HTTP/1.1 ").Append(answer.Status).Append(' ').Append(((HttpStatusCode)answer.Status).ToString()).Append("\r\n")
                .Append("Content-Type: application/json\r\n")
                .Append("Request-Id: req_local_").Append(_requests.Count).Append("\r\n")
                .Append("Content-Length: ").Append(body.Length).Append("\r\n")
                .Append("Connection: close\r\n");
            foreach (var header in answer.Headers)
            {
                head.Append(header).Append("\r\n");
            }

            head.Append("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
            await stream.WriteAsync(body, _stop.Token);
        }
    }

    private static async Task<RawRequest> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 4 || buffer[^4] != '\r' || buffer[^3] != '\n' || buffer[^2] != '\r' || buffer[^1] != '\n')
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("The client closed the connection before the request head ended.");
            }

            buffer.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var requestLine = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => new KeyValuePair<string, string>(l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())).ToList();
        var length = int.Parse(headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return new RawRequest(requestLine[0], requestLine[1], headers, Encoding.UTF8.GetString(body));
    }
}
