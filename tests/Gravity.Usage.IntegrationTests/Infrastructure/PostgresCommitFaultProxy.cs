using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.Infrastructure;

/// <summary>What <see cref="PostgresCommitFaultProxy"/> does to the COMMIT it is armed for.</summary>
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
/// armed, breaks the connection at a COMMIT (a simple Query or a Parse message whose text starts with COMMIT, alone or
/// at the end of a pipeline of statements), so tests can lose a COMMIT or its answer deterministically. Everything else
/// passes through unchanged.
/// </summary>
/// <remarks>
/// Only the client's bytes are parsed, and only into messages; the server's are relayed as they come. Clients must
/// connect with <c>SSL Mode=Disable</c> (as <see cref="ConnectionString"/> does), or there would be nothing to read.
/// </remarks>
public sealed class PostgresCommitFaultProxy : IAsyncDisposable
{
    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Socket> _sockets = [];
    private readonly Lock _lock = new();
    private readonly Task _acceptLoop;
    private TaskCompletionSource _fired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArmedFault? _armed;
    private volatile bool _refusing;
    private int _droppedBeforeCommit;
    private int _droppedAfterCommit;
    private int _roundTrips;

    /// <summary>Starts a proxy in front of the server that <paramref name="serverConnectionString"/> names.</summary>
    /// <param name="serverConnectionString">An Npgsql connection string of the real server; its host defaults to 127.0.0.1.</param>
    public PostgresCommitFaultProxy(string serverConnectionString)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        _targetHost = string.IsNullOrEmpty(server.Host) ? "127.0.0.1" : server.Host;
        _targetPort = server.Port;
        _listener.Start();
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString)
        {
            Host = "127.0.0.1",
            Port = Port,
            SslMode = SslMode.Disable,
        }.ConnectionString;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Gets the loopback port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Gets the server's connection string, led through the proxy in plain text.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets a task that completes when the fault armed last has been applied.</summary>
    public Task Fired
    {
        get
        {
            lock (_lock)
            {
                return _fired.Task;
            }
        }
    }

    /// <summary>Gets how many COMMITs never reached the server (<see cref="CommitFault.DropBeforeCommit"/> or <see cref="CommitFault.HoldCommitAndDropClient"/>).</summary>
    public int DroppedBeforeCommit => Volatile.Read(ref _droppedBeforeCommit);

    /// <summary>Gets how many COMMITs reached the server and then had their answer dropped.</summary>
    public int DroppedAfterCommit => Volatile.Read(ref _droppedAfterCommit);

    /// <summary>
    /// Gets how many round trips clients have made: writes of theirs that end in a message the server answers before the
    /// client goes on (a Sync, or a simple Query). Messages a client writes together count once.
    /// </summary>
    public int RoundTrips => Volatile.Read(ref _roundTrips);

    /// <summary>Gets how many faults have struck so far, counted as they strike (before the client sees its connection break).</summary>
    public int Drops
    {
        get
        {
            lock (_lock)
            {
                return _droppedBeforeCommit + _droppedAfterCommit;
            }
        }
    }

    /// <summary>Applies <paramref name="fault"/> to one COMMIT on any connection, replacing a fault that has not struck yet.</summary>
    /// <param name="fault">What to do to the COMMIT.</param>
    /// <param name="passesFirst">How many COMMITs to let through before the one the fault strikes.</param>
    /// <param name="thenRefuseConnections">
    /// Whether to refuse new connections once the fault struck (as an unreachable server would) until <see cref="AcceptConnections"/>.
    /// </param>
    public void Arm(CommitFault fault, int passesFirst = 0, bool thenRefuseConnections = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(passesFirst);
        lock (_lock)
        {
            _fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _armed = new ArmedFault(fault, passesFirst, thenRefuseConnections, _fired);
        }
    }

    /// <summary>Withdraws a fault that has not struck yet.</summary>
    public void Disarm()
    {
        lock (_lock)
        {
            _armed = null;
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

            _sockets.Clear();
        }

        await _acceptLoop;
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

            // Connecting off the loop, so that one slow connect does not hold up the clients behind it.
            _ = Task.Run(() => ConnectAsync(client));
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client sees its connection close, as it would if the server were down.
            client.Dispose();
            server.Dispose();
            return;
        }

        if (!TryTrack(client, server))
        {
            return;
        }

        var connection = new Connection(this, client, server);
        _ = Task.Run(connection.PumpClientToServerAsync);
        _ = Task.Run(connection.PumpServerToClientAsync);
    }

    /// <summary>Registers a connection's sockets for <see cref="DisposeAsync"/>, or closes them if that already ran.</summary>
    private bool TryTrack(Socket client, Socket server)
    {
        lock (_lock)
        {
            if (!_stop.IsCancellationRequested)
            {
                _sockets.Add(client);
                _sockets.Add(server);
                return true;
            }
        }

        client.Dispose();
        server.Dispose();
        return false;
    }

    private void Forget(Socket socket)
    {
        lock (_lock)
        {
            _sockets.Remove(socket);
        }
    }

    /// <summary>Decides whether this COMMIT is the one the armed fault strikes; if so, disarms and counts it.</summary>
    private ArmedFault? TakeFaultForCommit()
    {
        lock (_lock)
        {
            if (_armed is not { } armed)
            {
                return null;
            }

            if (armed.PassesLeft > 0)
            {
                _armed = armed with { PassesLeft = armed.PassesLeft - 1 };
                return null;
            }

            _armed = null;
            if (armed.ThenRefuseConnections)
            {
                _refusing = true;
            }

            // Counted now, before the client can see its connection break, so a caller that catches the failure finds it counted.
            if (armed.Fault == CommitFault.DropAfterCommitAnswered)
            {
                _droppedAfterCommit++;
            }
            else
            {
                _droppedBeforeCommit++;
            }

            return armed;
        }
    }

    /// <summary>Whether a typed client message is a COMMIT: a simple Query, or a Parse of a prepared statement.</summary>
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

    private sealed record ArmedFault(CommitFault Fault, int PassesLeft, bool ThenRefuseConnections, TaskCompletionSource Fired);

    /// <summary>
    /// Buffers what the client sends so that it can be cut into whole messages, and says whether a further whole
    /// message is already here, so that messages the client wrote together are forwarded together.
    /// </summary>
    private sealed class MessageReader(Socket socket)
    {
        private byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        /// <summary>Gets whether the next typed message can be read without waiting for the client.</summary>
        public bool HasTypedMessageBuffered =>
            _end - _start >= 5 && _end - _start >= 1 + BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 1));

        /// <summary>Reads the next untyped message (length first): an encryption request or the startup message.</summary>
        public ValueTask<ReadOnlyMemory<byte>?> ReadUntypedAsync() => ReadAsync(lengthAt: 0);

        /// <summary>Reads the next typed message (one type byte, then the length).</summary>
        public ValueTask<ReadOnlyMemory<byte>?> ReadTypedAsync() => ReadAsync(lengthAt: 1);

        private async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(int lengthAt)
        {
            if (!await FillAsync(lengthAt + 4))
            {
                return null;
            }

            // The length counts itself but not the type byte.
            var size = lengthAt + BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + lengthAt));
            if (size < lengthAt + 4 || !await FillAsync(size))
            {
                return null;
            }

            var message = _buffer.AsMemory(_start, size);
            _start += size;
            return message;
        }

        /// <summary>Waits until <paramref name="count"/> bytes are buffered; false when the client closed first.</summary>
        private async ValueTask<bool> FillAsync(int count)
        {
            if (_buffer.Length - _start < count)
            {
                // Making room invalidates earlier messages, which the caller has forwarded or copied by now.
                var buffered = _end - _start;
                var target = count <= _buffer.Length ? _buffer : new byte[Math.Max(count, _buffer.Length * 2)];
                Buffer.BlockCopy(_buffer, _start, target, 0, buffered);
                _buffer = target;
                _start = 0;
                _end = buffered;
            }

            while (_end - _start < count)
            {
                var read = await socket.ReceiveAsync(_buffer.AsMemory(_end));
                if (read == 0)
                {
                    return false;
                }

                _end += read;
            }

            return true;
        }
    }

    private sealed class Connection(PostgresCommitFaultProxy proxy, Socket client, Socket server)
    {
        private readonly MessageReader _reader = new(client);
        private readonly ArrayBufferWriter<byte> _pending = new();
        private volatile TaskCompletionSource? _swallowAnswer;
        private volatile bool _clientDropped;
        private volatile bool _commitPipelined;
        private readonly List<byte> _heldAnswer = [];

        public async Task PumpClientToServerAsync()
        {
            try
            {
                if (await RelayStartupAsync())
                {
                    await RelayMessagesAsync();
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

                    if (_clientDropped)
                    {
                        // Held: what the server still says (an answer to a query sent with the held COMMIT's
                        // pipeline) goes nowhere, and its side stays open.
                        continue;
                    }

                    if (_swallowAnswer is { } pipelineFired && _commitPipelined)
                    {
                        // Earlier queries may still be answered (a reset Npgsql sent with the pipeline): held back
                        // too, until the pipeline's own answer is here, which ends its COMMIT or its failed block.
                        _heldAnswer.AddRange(buffer.AsSpan(0, n));
                        if (EndsPipelineAnswer(_heldAnswer))
                        {
                            Close();
                            pipelineFired.TrySetResult();
                            return;
                        }

                        continue;
                    }

                    if (_swallowAnswer is { } fired)
                    {
                        // The client sent nothing after the COMMIT, so these are the first bytes of its answer: the
                        // server committed, and the client never hears it.
                        Close();
                        fired.TrySetResult();
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

        /// <summary>Relays the untyped messages: SSL or GSS encryption requests (answered with one byte), then the startup message.</summary>
        private async Task<bool> RelayStartupAsync()
        {
            while (await _reader.ReadUntypedAsync() is { } message)
            {
                await server.SendAsync(message);
                var code = BinaryPrimitives.ReadInt32BigEndian(message.Span[4..]);
                if (code is not (SslRequestCode or GssEncRequestCode))
                {
                    return true;
                }
            }

            Close();
            return false;
        }

        private async Task RelayMessagesAsync()
        {
            while (await _reader.ReadTypedAsync() is { } message)
            {
                if (IsCommit(message.Span[0], message.Span[5..]) && proxy.TakeFaultForCommit() is { } armed)
                {
                    // What the client sent before the COMMIT reaches the server, as it would without the fault.
                    await FlushAsync();
                    await ApplyAsync(armed, message);
                    return;
                }

                _pending.Write(message.Span);
                // Holding back only while the next message is already here: a reply the client waits for is never delayed.
                if (!_reader.HasTypedMessageBuffered)
                {
                    if (message.Span[0] is (byte)'S' or (byte)'Q')
                    {
                        Interlocked.Increment(ref proxy._roundTrips);
                    }

                    await FlushAsync();
                }
            }

            Close();
        }

        private async Task FlushAsync()
        {
            if (_pending.WrittenCount > 0)
            {
                await server.SendAsync(_pending.WrittenMemory);
                _pending.Clear();
            }
        }

        private async Task ApplyAsync(ArmedFault armed, ReadOnlyMemory<byte> commit)
        {
            switch (armed.Fault)
            {
                case CommitFault.DropAfterCommitAnswered:
                    _commitPipelined = commit.Span[0] == (byte)'P';
                    _swallowAnswer = armed.Fired;
                    await server.SendAsync(commit);
                    if (commit.Span[0] == (byte)'P')
                    {
                        // A COMMIT sent in a pipeline (Parse, Bind, Execute, ... Sync): the server runs it, and answers
                        // the whole pipeline, only once the rest up to the Sync is there.
                        while (await _reader.ReadTypedAsync() is { } next)
                        {
                            await server.SendAsync(next);
                            if (next.Span[0] == (byte)'S')
                            {
                                break;
                            }
                        }
                    }

                    break;
                case CommitFault.DropBeforeCommit:
                    Close();
                    armed.Fired.TrySetResult();
                    break;
                case CommitFault.HoldCommitAndDropClient:
                    // The server's side stays tracked, so DisposeAsync ends the transaction.
                    _clientDropped = true;
                    client.Dispose();
                    proxy.Forget(client);
                    armed.Fired.TrySetResult();
                    break;
            }
        }

        /// <summary>
        /// Whether the server's bytes end with ReadyForQuery after the pipeline's COMMIT was answered (its command tag is
        /// there) or skipped (the transaction block failed, status 'E').
        /// </summary>
        private static bool EndsPipelineAnswer(List<byte> answer)
        {
            var count = answer.Count;
            if (count < 6 || answer[count - 6] != (byte)'Z' || answer[count - 5] != 0 || answer[count - 4] != 0 || answer[count - 3] != 0 || answer[count - 2] != 5)
            {
                return false;
            }

            var tag = "COMMIT\0"u8;
            return answer[count - 1] == (byte)'E' || CollectionsMarshal.AsSpan(answer).IndexOf(tag) >= 0;
        }

        private void Close()
        {
            client.Dispose();
            server.Dispose();
            proxy.Forget(client);
            proxy.Forget(server);
        }
    }
}
