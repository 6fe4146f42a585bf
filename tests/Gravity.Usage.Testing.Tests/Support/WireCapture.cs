namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>One raw request from reference/stripe-node-wire-captures.txt.</summary>
public sealed record WireCapture(string Method, string PathAndQuery, int Attempt, IReadOnlyList<(string Name, string Value)> Headers, string Body)
{
    public string Path => PathAndQuery.Split('?')[0];

    public static IReadOnlyList<WireCapture> Load()
    {
        var text = File.ReadAllText(TestData.Stripe("stripe-node-wire-captures.txt")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var captures = new List<WireCapture>();
        foreach (var block in text.Split("\n" + new string('-', 72) + "\n"))
        {
            var trimmed = block.TrimStart('\n');
            if (trimmed.Trim().Length == 0 || trimmed.StartsWith(new string('-', 72), StringComparison.Ordinal))
            {
                continue;
            }

            var separator = trimmed.IndexOf("\n\n", StringComparison.Ordinal);
            var head = separator < 0 ? trimmed : trimmed[..separator];
            var body = separator < 0 ? string.Empty : trimmed[(separator + 2)..].TrimEnd('\n');
            var lines = head.Split('\n');
            var requestLine = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var attempt = int.Parse(requestLine[^1].TrimEnd(']'), System.Globalization.CultureInfo.InvariantCulture);
            var headers = lines.Skip(1)
                .Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)], Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
                .ToList();
            captures.Add(new WireCapture(requestLine[0], requestLine[1], attempt, headers, body));
        }

        return captures;
    }

    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The request as captured: same method, path, headers (but the hop-by-hop ones) and body bytes.</summary>
    public HttpRequestMessage ToRequest()
    {
        var request = new HttpRequestMessage(new HttpMethod(Method), PathAndQuery.TrimStart('/'));
        if (Method != "GET")
        {
            request.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(Body));
        }

        foreach (var (name, value) in Headers)
        {
            if (name is "host" or "content-length" or "connection")
            {
                continue;
            }

            if (name == "content-type")
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
                continue;
            }

            Assert.That(request.Headers.TryAddWithoutValidation(name, value), Is.True, name);
        }

        return request;
    }
}
