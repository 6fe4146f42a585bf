using Gravity.Usage.Tool;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
return await ToolApp.RunAsync(args, new ToolEnvironment(Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System, ErrorIsTerminal: !Console.IsErrorRedirected), cancellation.Token).ConfigureAwait(false);
