using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace VNet.Host.Observability;

/// <summary>
/// <c>vnet lab web</c>: forwards a TCP port on this machine's loopback to a port on the loopback of
/// a lab namespace, so a browser on the lab machine reaches a lab node's page and /metrics (which
/// listen on the node's own loopback). Outgoing sockets are made on one thread that entered the
/// namespace (setns), since a socket belongs to the namespace of the thread that created it.
/// </summary>
public sealed partial class NetnsForwarder : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly BlockingCollection<TaskCompletionSource<Socket>> _requests = new();
    private readonly Socket _listener;
    private readonly IPEndPoint _target;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    /// <summary>Listens on 127.0.0.1:<paramref name="localPort"/> (0 = any) and forwards to 127.0.0.1:<paramref name="targetPort"/> in <paramref name="netns"/>.</summary>
    public NetnsForwarder(string netns, int localPort, int targetPort)
    {
        var path = Path.Combine("/run/netns", netns);
        if (!File.Exists(path)) throw new InvalidOperationException($"no network namespace {netns} ({path})");
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        var entered = new TaskCompletionSource();
        var thread = new Thread(() => Connector(path, entered)) { IsBackground = true, Name = $"netns {netns}" };
        thread.Start();
        entered.Task.GetAwaiter().GetResult();
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, localPort));
        _listener.Listen(64);
        Local = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The local end browsers connect to.</summary>
    public IPEndPoint Local { get; }

    /// <summary>Accepts and forwards until <paramref name="cancel"/>.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancel);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(() => Pump(client, cancel), cancel);
        }
    }

    private async Task Pump(Socket client, CancellationToken cancel)
    {
        using var _ = client;
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add(request, cancel);
        Socket upstream;
        try
        {
            upstream = await request.Task;
        }
        catch (SocketException)
        {
            return;
        }
        using (upstream)
        {
            await using var a = new NetworkStream(client, ownsSocket: false);
            await using var b = new NetworkStream(upstream, ownsSocket: false);
            var up = a.CopyToAsync(b, cancel);
            var down = b.CopyToAsync(a, cancel);
            try
            {
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
            }
        }
    }

    private void Connector(string path, TaskCompletionSource entered)
    {
        using (var ns = File.OpenHandle(path))
        {
            if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
            {
                entered.SetException(new InvalidOperationException($"cannot enter {path}: errno {Marshal.GetLastPInvokeError()} (needs root)"));
                return;
            }
        }
        entered.SetResult();
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(_target);
                request.SetResult(socket);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                request.SetException(e);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _requests.CompleteAdding();
        _listener.Dispose();
    }
}
