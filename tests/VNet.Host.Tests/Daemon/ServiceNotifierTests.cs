using System.Net.Sockets;
using System.Text;
using VNet.Host.Daemon;

namespace VNet.Host.Tests.Daemon;

/// <summary>sd_notify messages arrive on the datagram socket $NOTIFY_SOCKET names, as systemd reads them.</summary>
public sealed class ServiceNotifierTests
{
    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        socket.ReceiveTimeout = 5000;
        var n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Ready_and_stopping_reach_a_socket_named_by_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vnet-notify-{Guid.NewGuid():N}.sock");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            using var notifier = new ServiceNotifier(path);
            Assert.True(notifier.Enabled);
            notifier.Ready("node up");
            var ready = Receive(systemd).Split('\n');
            Assert.Contains("READY=1", ready);
            Assert.Contains("STATUS=node up", ready);
            Assert.Contains($"MAINPID={Environment.ProcessId}", ready);
            notifier.Stopping("stopping (SIGTERM)");
            Assert.Equal(["STOPPING=1", "STATUS=stopping (SIGTERM)"], Receive(systemd).Split('\n'));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_abstract_socket_is_named_with_a_leading_at_sign()
    {
        var name = $"vnet-notify-{Guid.NewGuid():N}";
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint("\0" + name));
        using var notifier = new ServiceNotifier("@" + name);
        notifier.Ready("up");
        Assert.StartsWith("READY=1\n", Receive(systemd));
    }

    [Fact]
    public void Without_NOTIFY_SOCKET_nothing_is_sent_and_nothing_fails()
    {
        using var notifier = new ServiceNotifier(null);
        Assert.False(notifier.Enabled);
        notifier.Ready("up");
        notifier.Stopping("down");
    }

    [Fact]
    public void A_socket_that_is_gone_does_not_stop_the_daemon()
    {
        using var notifier = new ServiceNotifier(Path.Combine(Path.GetTempPath(), $"vnet-missing-{Guid.NewGuid():N}.sock"));
        notifier.Ready("up");
    }
}
