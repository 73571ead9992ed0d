using System.Net.Sockets;
using System.Text;

namespace VNet.Host.Daemon;

/// <summary>
/// Tells systemd about the service's state (sd_notify(3)), for a unit with <c>Type=notify</c>:
/// <c>READY=1</c> once the node listens, <c>STOPPING=1</c> when a stop begins, <c>STATUS=…</c>
/// for <c>systemctl status</c>. systemd names the socket in <c>$NOTIFY_SOCKET</c>: a UNIX datagram
/// socket, a path, or an abstract name when it starts with '@'. Without the variable (not run by
/// systemd) every call does nothing.
/// </summary>
public sealed class ServiceNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;

    /// <summary>A notifier for the socket named by <paramref name="notifySocket"/> (null or empty = none).</summary>
    public ServiceNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket)) return;
        // An abstract socket's name starts with a NUL byte where systemd writes '@'.
        _endpoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>The notifier for this process (from <c>$NOTIFY_SOCKET</c>).</summary>
    public static ServiceNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>True when there is a socket to notify.</summary>
    public bool Enabled => _socket is not null;

    /// <summary>The node is up: systemd ends <c>systemctl start</c> and starts units ordered after it.</summary>
    public void Ready(string status) => Send($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId}");

    /// <summary>A stop began (systemd then waits up to its stop timeout).</summary>
    public void Stopping(string status) => Send($"STOPPING=1\nSTATUS={status}");

    /// <summary>A status line alone.</summary>
    public void Status(string status) => Send($"STATUS={status}");

    /// <summary>Sends one notification (newline-separated assignments); a failure is reported, never thrown.</summary>
    public void Send(string state)
    {
        if (_socket is null || _endpoint is null) return;
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _endpoint);
        }
        catch (SocketException e)
        {
            System.Console.Error.WriteLine($"vnetd: cannot notify systemd at $NOTIFY_SOCKET: {e.Message}");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _socket?.Dispose();
}
