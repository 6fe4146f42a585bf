using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;

namespace Gravity.Usage.AspNetCore.Tests.Support;

public static class TestClientExtensions
{
    public static Task<HttpResponseMessage> GetTestClientAsync(this WebApplication app, string path) => app.GetTestClient().GetAsync(new Uri(path, UriKind.Relative));
}
