using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using VNet.Capture.Native;

namespace VNet.Capture.Interfaces;

/// <summary>
/// Watches interface names through one AF_NETLINK / NETLINK_ROUTE socket subscribed to
/// RTMGRP_LINK, shared by every watch of the process: the kernel multicasts RTM_NEWLINK and
/// RTM_DELLINK for every interface of the namespace, so nothing is polled, and one thread serves
/// all links (a node's threads do not grow with its links). A new watch gets a dump (RTM_GETLINK),
/// which says whether its interface exists now; dumps run one at a time, and watches added while
/// one runs get the next. On ENOBUFS (events were lost) every watch gets a dump again. The thread
/// owns the socket and its receive buffer (allocated once) and sleeps until the kernel or a new
/// watch wakes it (an eventfd).
/// </summary>
public sealed unsafe class NetlinkLinkWatcher
{
    private const int BufferSize = 64 * 1024;
    private static readonly Lazy<NetlinkLinkWatcher> SharedWatcher = new(() => new NetlinkLinkWatcher(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _fd;
    private readonly int _wake;
    private readonly ConcurrentQueue<Watch> _added = new();
    private readonly List<Watch> _watches = new();     // the thread's own
    private readonly List<LinkMessage> _messages = new();
    private readonly Thread _thread;
    private uint _sequence;
    private bool _dumping;
    private bool _dumpWanted;

    /// <summary>The process's watcher (its socket and thread start with the first watch).</summary>
    public static NetlinkLinkWatcher Shared => SharedWatcher.Value;

    private NetlinkLinkWatcher()
    {
        _fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (_fd < 0) throw new InvalidOperationException($"cannot open a netlink socket to watch interfaces: {LibcErrors.GetLastPInvokePErrorMessage()}");
        var address = new Libc.SockAddrNl { Family = Libc.AF_NETLINK, Groups = Libc.RTMGRP_LINK };
        if (Libc.bind_nl(_fd, &address, (uint)sizeof(Libc.SockAddrNl)) != 0)
        {
            var error = LibcErrors.GetLastPInvokePErrorMessage();
            Libc.close(_fd);
            throw new InvalidOperationException($"cannot subscribe to link events: {error}");
        }
        _wake = Epoll.eventfd(0, Epoll.EFD_CLOEXEC | Epoll.EFD_NONBLOCK);
        if (_wake < 0)
        {
            Libc.close(_fd);
            throw new InvalidOperationException($"eventfd failed: {LibcErrors.GetLastPInvokePErrorMessage()}");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "vnet-netlink" };
        _thread.Start();
    }

    /// <summary>
    /// Follows <paramref name="name"/>: <paramref name="onChange"/> with its state once it is known and
    /// at every change, <paramref name="onFailure"/> when netlink fails, both on the watcher's thread.
    /// Once disposing the result returns, neither is called again.
    /// </summary>
    public IDisposable Add(string name, Action<InterfaceState?> onChange, Action<Exception> onFailure)
    {
        var watch = new Watch(new InterfaceTracker(name), onChange, onFailure);
        _added.Enqueue(watch);
        ulong one = 1;
        Epoll.write(_wake, &one, sizeof(ulong));
        return watch;
    }

    private void RequestDump()
    {
        foreach (var w in _watches) w.Tracker.BeginDump();
        var request = NetlinkLinkMessages.DumpRequest(++_sequence);
        fixed (byte* p = request)
            if (Libc.send(_fd, p, (nuint)request.Length, 0) < 0)
                throw new InvalidOperationException($"cannot ask netlink for the interfaces: {LibcErrors.GetLastPInvokePErrorMessage()}");
        _dumping = true;
        _dumpWanted = false;
    }

    private void Run()
    {
        var buffer = (byte*)NativeMemory.Alloc(BufferSize);
        var polls = stackalloc Libc.PollFd[2];
        try
        {
            while (true)
            {
                try
                {
                    Step(buffer, polls);
                }
                catch (Exception e)
                {
                    // Netlink itself failed: every watch hears it; the next dump starts over.
                    foreach (var w in _watches) w.Fail(e);
                    _dumping = false;
                    _dumpWanted = true;
                    Thread.Sleep(100);
                }
            }
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    private void Step(byte* buffer, Libc.PollFd* polls)
    {
        while (_added.TryDequeue(out var w))
        {
            if (w.Disposed) continue;
            _watches.Add(w);
            _dumpWanted = true;
        }
        _watches.RemoveAll(w => w.Disposed);
        if (_dumpWanted && !_dumping) RequestDump();
        // POLLERR too: a lost-events error (ENOBUFS) is reported by the next recv.
        polls[0] = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
        polls[1] = new Libc.PollFd { Fd = _wake, Events = Libc.POLLIN };
        if (Libc.ppoll(polls, 2, null, null) <= 0) return;
        if ((polls[1].Revents & Libc.POLLIN) != 0)
        {
            ulong value;
            Epoll.read(_wake, &value, sizeof(ulong));
        }
        if (polls[0].Revents == 0) return;
        var n = Libc.recv(_fd, buffer, BufferSize, Libc.MSG_DONTWAIT);
        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EAGAIN or Libc.EINTR) return;
            if (errno == Libc.ENOBUFS) // the kernel dropped events: ask again
            {
                _dumping = false;
                _dumpWanted = true;
                return;
            }
            throw new InvalidOperationException($"netlink receive failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        _messages.Clear();
        NetlinkLinkMessages.Parse(new ReadOnlySpan<byte>(buffer, (int)n), _messages);
        foreach (var m in _messages)
        {
            if (m.Kind == LinkMessageKind.Error)
            {
                _dumping = false;
                throw new InvalidOperationException($"netlink refused the interface dump: {Marshal.GetPInvokeErrorMessage(m.Errno)}");
            }
            foreach (var w in _watches) w.Apply(m);
            if (m.Kind == LinkMessageKind.DumpDone) _dumping = false;
        }
    }

    /// <summary>One watched name: its tracker and callbacks; disposing it waits for a callback in flight.</summary>
    private sealed class Watch(InterfaceTracker tracker, Action<InterfaceState?> onChange, Action<Exception> onFailure) : IDisposable
    {
        private readonly object _gate = new();
        public readonly InterfaceTracker Tracker = tracker;
        public volatile bool Disposed;

        public void Apply(in LinkMessage message)
        {
            lock (_gate)
            {
                if (Disposed || !Tracker.Apply(message)) return;
                try
                {
                    onChange(Tracker.Current);
                }
                catch (Exception e)
                {
                    onFailure(e); // this watch's owner failed, not netlink: the other watches go on
                }
            }
        }

        public void Fail(Exception e)
        {
            lock (_gate)
                if (!Disposed) onFailure(e);
        }

        public void Dispose()
        {
            lock (_gate) Disposed = true;
        }
    }
}
