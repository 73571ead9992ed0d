using System.Runtime.InteropServices;
using VNet.Capture.Native;

namespace VNet.Capture.Interfaces;

/// <summary>
/// Watches one interface name through an AF_NETLINK / NETLINK_ROUTE socket subscribed to
/// RTMGRP_LINK: the kernel multicasts RTM_NEWLINK and RTM_DELLINK for every interface of the
/// namespace, so nothing is polled. After subscribing it asks for a dump (RTM_GETLINK), which says
/// whether the interface exists now; on ENOBUFS (events were lost) it dumps again. One thread owns
/// the socket and its receive buffer (allocated once) and waits at most 250 ms at a time, so
/// disposing it returns promptly.
/// </summary>
public sealed unsafe class NetlinkLinkWatcher : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private readonly int _fd;
    private readonly InterfaceTracker _tracker;
    private readonly Action<InterfaceState?> _onChange;
    private readonly Action<Exception> _onFailure;
    private readonly Thread _thread;
    private readonly List<LinkMessage> _messages = new();
    private uint _sequence;
    private volatile bool _stopping;

    /// <summary>Opens the socket, asks for the current state and starts the thread.</summary>
    public NetlinkLinkWatcher(string name, Action<InterfaceState?> onChange, Action<Exception> onFailure)
    {
        _tracker = new InterfaceTracker(name);
        _onChange = onChange;
        _onFailure = onFailure;
        _fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (_fd < 0) throw new InvalidOperationException($"cannot open a netlink socket to watch {name}: {LibcErrors.GetLastPInvokePErrorMessage()}");
        try
        {
            var address = new Libc.SockAddrNl { Family = Libc.AF_NETLINK, Groups = Libc.RTMGRP_LINK };
            if (Libc.bind_nl(_fd, &address, (uint)sizeof(Libc.SockAddrNl)) != 0)
                throw new InvalidOperationException($"cannot subscribe to link events: {LibcErrors.GetLastPInvokePErrorMessage()}");
            RequestDump();
        }
        catch
        {
            Libc.close(_fd);
            throw;
        }
        _thread = new Thread(Run) { IsBackground = true, Name = $"vnet-netlink-{name}" };
        _thread.Start();
    }

    private void RequestDump()
    {
        _tracker.BeginDump();
        var request = NetlinkLinkMessages.DumpRequest(++_sequence);
        fixed (byte* p = request)
            if (Libc.send(_fd, p, (nuint)request.Length, 0) < 0)
                throw new InvalidOperationException($"cannot ask netlink for the interfaces: {LibcErrors.GetLastPInvokePErrorMessage()}");
    }

    private void Run()
    {
        var buffer = (byte*)NativeMemory.Alloc(BufferSize);
        try
        {
            while (!_stopping)
            {
                // POLLERR too: a lost-events error (ENOBUFS) is reported by the next recv.
                var poll = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
                var timeout = new Libc.TimeSpec { Seconds = 0, Nanoseconds = 250_000_000 };
                if (Libc.ppoll(&poll, 1, &timeout, null) <= 0) continue;
                var n = Libc.recv(_fd, buffer, BufferSize, Libc.MSG_DONTWAIT);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Libc.EAGAIN or Libc.EINTR) continue;
                    if (errno == Libc.ENOBUFS) { RequestDump(); continue; } // the kernel dropped events: ask again
                    throw new InvalidOperationException($"netlink receive failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
                _messages.Clear();
                NetlinkLinkMessages.Parse(new ReadOnlySpan<byte>(buffer, (int)n), _messages);
                foreach (var m in _messages)
                {
                    if (m.Kind == LinkMessageKind.Error) throw new InvalidOperationException($"netlink refused the interface dump: {Marshal.GetPInvokeErrorMessage(m.Errno)}");
                    if (_tracker.Apply(m)) _onChange(_tracker.Current);
                }
            }
        }
        catch (Exception e) when (!_stopping)
        {
            _onFailure(e);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>Stops the thread (within 250 ms) and closes the socket.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(2));
        Libc.close(_fd);
    }
}
