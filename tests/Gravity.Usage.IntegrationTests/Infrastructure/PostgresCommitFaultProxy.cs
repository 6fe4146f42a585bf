using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gravity.Usage.IntegrationTests.Infrastructure;

/// <summary>What <see cref="PostgresCommitFaultProxy"/> does to the next COMMIT it sees.</summary>
public enum CommitFault
{
    /// <summary>Forwards the COMMIT, waits until the server has answered it (so it committed), then drops both sides without passing the answer on.</summary>
    DropAfterCommitAnswered,

    /// <summary>Drops both sides instead of forwarding the COMMIT: the server sees its client vanish and rolls back.</summary>
    DropBeforeCommit,

    /// <summary>Drops the client without forwarding the COMMIT but keeps the server's side open: the transaction stays in progress until <see cref="PostgresCommitFaultProxy.DisposeAsync"/>.</summary>
    HoldCommitAndDropClient,
}

/// <summary>
/// A loopback TCP proxy in front of a PostgreSQL server that reads the client's side of the wire protocol and, once
/// armed, breaks the connection at a COMMIT (a simple Query or a Parse message whose text starts with COMMIT), so tests
/// can lose a COMMIT or its answer deterministically.
/// </summary>
public sealed class PostgresCommitFaultProxy : IAsyncDisposable
{
    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _fired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _acceptLoop;
    private CommitFault? _armed;
    private volatile bool _refusing;
    private bool _refuseAfterFault;

    public PostgresCommitFaultProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Gets the loopback port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Gets a task that completes when the armed fault has been applied.</summary>
    public Task Fired => _fired.Task;

    /// <summary>Applies <paramref name="fault"/> to the next COMMIT on any connection, once.</summary>
    /// <param name="fault">What to do to the COMMIT.</param>
    /// <param name="thenRefuseConnections">
    /// Whether to refuse new connections from then on (as an unreachable server would) until <see cref="AcceptConnections"/>.
    /// </param>
    public void Arm(CommitFault fault, bool thenRefuseConnections = false)
    {
        lock (_lock)
        {
            _armed = fault;
            _refuseAfterFault = thenRefuseConnections;
        }
    }

    /// <summary>Accepts new connections again after a fault armed with refusal.</summary>
    public void AcceptConnections() => _refusing = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_lock)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_refusing)
            {
                client.Dispose();
                continue;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_lock)
            {
                _sockets.Add(client);
                _sockets.Add(server);
            }

            var connection = new Connection(this, client, server);
            _ = Task.Run(connection.PumpClientToServerAsync);
            _ = Task.Run(connection.PumpServerToClientAsync);
        }
    }

    private CommitFault? TakeArmedFault()
    {
        lock (_lock)
        {
            var fault = _armed;
            _armed = null;
            if (fault is not null && _refuseAfterFault)
            {
                _refusing = true;
            }

            return fault;
        }
    }

    private static bool IsCommit(byte type, ReadOnlySpan<byte> body)
    {
        // Query: the text. Parse: a statement name (NUL-terminated), then the text.
        if (type == (byte)'P')
        {
            var nameEnd = body.IndexOf((byte)0);
            body = nameEnd < 0 ? [] : body[(nameEnd + 1)..];
        }
        else if (type != (byte)'Q')
        {
            return false;
        }

        var textEnd = body.IndexOf((byte)0);
        var text = Encoding.UTF8.GetString(textEnd < 0 ? body : body[..textEnd]).TrimStart();
        return text.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..]);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private sealed class Connection(PostgresCommitFaultProxy proxy, Socket client, Socket server)
    {
        private volatile bool _swallowAnswer;

        public async Task PumpClientToServerAsync()
        {
            try
            {
                // Untyped messages first: SSL or GSS encryption requests (answered with one byte), then the startup message.
                while (true)
                {
                    var header = new byte[8];
                    if (!await ReadExactlyAsync(client, header))
                    {
                        return;
                    }

                    var length = BinaryPrimitives.ReadInt32BigEndian(header);
                    var message = new byte[length];
                    header.CopyTo(message, 0);
                    if (length > 8 && !await ReadExactlyAsync(client, message.AsMemory(8)))
                    {
                        return;
                    }

                    await server.SendAsync(message);
                    var code = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
                    if (code is not (SslRequestCode or GssEncRequestCode))
                    {
                        break;
                    }
                }

                while (true)
                {
                    var header = new byte[5];
                    if (!await ReadExactlyAsync(client, header))
                    {
                        return;
                    }

                    var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
                    var message = new byte[1 + length];
                    header.CopyTo(message, 0);
                    if (length > 4 && !await ReadExactlyAsync(client, message.AsMemory(5)))
                    {
                        return;
                    }

                    if (IsCommit(header[0], message.AsSpan(5)) && proxy.TakeArmedFault() is { } fault)
                    {
                        await ApplyAsync(fault, message);
                        return;
                    }

                    await server.SendAsync(message);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Close();
            }
        }

        public async Task PumpServerToClientAsync()
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var n = await server.ReceiveAsync(buffer);
                    if (n == 0)
                    {
                        Close();
                        return;
                    }

                    if (_swallowAnswer)
                    {
                        // The server answered the COMMIT, so it committed; the client never hears it.
                        Close();
                        proxy._fired.TrySetResult();
                        return;
                    }

                    await client.SendAsync(buffer.AsMemory(0, n));
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Close();
            }
        }

        private async Task ApplyAsync(CommitFault fault, byte[] commit)
        {
            switch (fault)
            {
                case CommitFault.DropAfterCommitAnswered:
                    _swallowAnswer = true;
                    await server.SendAsync(commit);
                    break;
                case CommitFault.DropBeforeCommit:
                    Close();
                    proxy._fired.TrySetResult();
                    break;
                case CommitFault.HoldCommitAndDropClient:
                    client.Dispose();
                    proxy._fired.TrySetResult();
                    break;
            }
        }

        private void Close()
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
