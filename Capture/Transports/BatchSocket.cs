using System.Runtime.CompilerServices;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// An IPv4 datagram or raw socket driven with sendmmsg/recvmmsg, with large kernel buffers.
/// Batching and forced 4 MiB buffers were the two changes that made a userspace tunnel beat tinc
/// here (PLATFORM-NOTES: the receive buffer overflowed first).
/// </summary>
internal sealed unsafe class BatchSocket : IDisposable
{
    private int _fd;

    private BatchSocket(int fd) => _fd = fd;

    /// <summary>The file descriptor (for options).</summary>
    public int Fd => _fd;

    /// <summary>Opens socket(AF_INET, type, protocol) with the given buffers and a receive timeout.</summary>
    public static BatchSocket Open(int type, int protocol, int bufferBytes, TimeSpan receiveTimeout)
    {
        var fd = Libc.socket(Libc.AF_INET, type | Libc.SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SocketException(errno, $"cannot open {(type == Libc.SOCK_RAW ? $"raw IPv4 socket for protocol {protocol}" : "UDP socket")}: {Marshal.GetPInvokeErrorMessage(errno)}{(errno == 1 ? " (raw sockets need root or CAP_NET_RAW)" : "")}");
        }
        var socket = new BatchSocket(fd);
        try
        {
            // FORCE variants ignore net.core.{w,r}mem_max (we run as root); fall back to the plain ones.
            if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, &bufferBytes, sizeof(int)) != 0)
                Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, &bufferBytes, sizeof(int));
            if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, &bufferBytes, sizeof(int)) != 0)
                Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &bufferBytes, sizeof(int));
            // Ask the kernel to tell, with each datagram, how many it had to drop (counted as socket-overflow).
            var one = 1;
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RXQ_OVFL, &one, sizeof(int));
            var timeout = new Libc.TimeVal { Seconds = (long)receiveTimeout.TotalSeconds, Microseconds = receiveTimeout.Milliseconds * 1000L };
            if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, &timeout, (uint)sizeof(Libc.TimeVal)) != 0)
                throw Error("setsockopt SO_RCVTIMEO");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Bind(IPAddress address, int port)
    {
        var sa = Libc.SockAddr(address, port);
        if (Libc.bind(_fd, &sa, (uint)sizeof(Libc.SockAddrIn)) != 0) throw Error($"bind {address}:{port}");
    }

    public void Connect(IPAddress address, int port)
    {
        var sa = Libc.SockAddr(address, port);
        if (Libc.connect(_fd, &sa, (uint)sizeof(Libc.SockAddrIn)) != 0) throw Error($"connect {address}:{port}");
    }

    /// <summary>
    /// SO_BINDTODEVICE: the socket takes only packets that arrived on <paramref name="interfaceName"/>
    /// (and sends only through it), whatever their addresses say.
    /// </summary>
    public void BindToDevice(string interfaceName)
    {
        var name = System.Text.Encoding.ASCII.GetBytes(interfaceName + "\0");
        fixed (byte* p = name)
            if (Libc.setsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_BINDTODEVICE, p, (uint)name.Length) != 0)
                throw Error($"SO_BINDTODEVICE {interfaceName}");
    }

    /// <summary>
    /// Binds the socket to the interface that holds <paramref name="local"/>, the substrate
    /// interface. A packet that claims a peer's address but arrives from a VM port (a VM that forges
    /// a capsule) is then never taken, with or without the VM port's nftables drop.
    /// </summary>
    public void BindToSubstrate(IPAddress local) => BindToDevice(SubstrateInterface.Of(local));

    /// <summary>The local port the socket is bound to.</summary>
    public int LocalPort
    {
        get
        {
            Libc.SockAddrIn sa;
            uint length = (uint)sizeof(Libc.SockAddrIn);
            if (Libc.getsockname(_fd, &sa, &length) != 0) throw Error("getsockname");
            return (ushort)IPAddress.NetworkToHostOrder((short)sa.PortBigEndian);
        }
    }

    public void SetInt(int level, int name, int value, string what) => Libc.SetInt(_fd, level, name, value, what);

    public int GetInt(int level, int name) => Libc.GetInt(_fd, level, name);

    /// <summary>Sends the batch; returns how many datagrams the kernel took.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public int Send(PacketBatch batch)
    {
        int done = 0, refused = 0;
        while (done < batch.Count)
        {
            var n = Libc.sendmmsg(_fd, batch.Messages + done, (uint)(batch.Count - done), 0);
            if (n > 0) { done += n; continue; }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR) continue;
            // A refused, oversize or unbuffered datagram is skipped; the caller counts it as dropped.
            if (errno is Libc.ECONNREFUSED or Libc.EMSGSIZE or Libc.ENOBUFS or Libc.EAGAIN or Libc.EPERM or Libc.ENETUNREACH or Libc.EHOSTUNREACH)
            {
                done++;
                refused++;
                continue;
            }
            throw Error("sendmmsg");
        }
        return done - refused;
    }

    /// <summary>Receives up to a batch; 0 when the receive timeout passed with nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public int Receive(PacketBatch batch)
    {
        batch.PrepareReceive();
        while (true)
        {
            var n = Libc.recvmmsg(_fd, batch.Messages, (uint)batch.Capacity, batch.DontWait ? Libc.MSG_DONTWAIT : Libc.MSG_WAITFORONE, null);
            if (n >= 0) { batch.Count = n; return n; }
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EAGAIN or Libc.EINTR) { batch.Count = 0; return 0; }
            // An ICMP error for an earlier send (port or protocol unreachable while the peer's end is
            // being made again, host or network unreachable), reported on the next call: not a receive failure.
            if (errno is Libc.ECONNREFUSED or Libc.ENOPROTOOPT or Libc.EHOSTUNREACH or Libc.ENETUNREACH or Libc.EHOSTDOWN) continue;
            if (_fd < 0) { batch.Count = 0; return 0; }
            throw Error("recvmmsg");
        }
    }

    private static SocketException Error(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new SocketException(errno, $"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.close(fd);
    }
}
