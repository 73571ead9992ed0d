using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using VNet.Capture.Native;

namespace VNet.Capture.Interfaces;

/// <summary>
/// Tells when a network interface appears (or is up again) by name, from the kernel's netlink link
/// events (a NETLINK_ROUTE socket in the RTMGRP_LINK group), not by polling. One socket and one
/// thread per process, started by the first <see cref="WhenPresent"/>; a wait ends when the
/// interface exists and is up, or when its registration is disposed.
/// </summary>
public sealed unsafe class InterfaceWatcher
{
    /// <summary>The process's watcher.</summary>
    public static InterfaceWatcher Shared { get; } = new();

    private readonly ConcurrentDictionary<Registration, byte> _waits = new();
    private readonly object _start = new();
    private Thread? _thread;
    private string? _problem;

    /// <summary>True when an interface of that name exists now.</summary>
    public static bool Exists(string name) => Libc.if_nametoindex(name) != 0;

    /// <summary>
    /// Calls <paramref name="present"/> once (on the watcher's thread, or at once on the caller's)
    /// when <paramref name="name"/> exists and is up. Dispose the result to stop waiting.
    /// Throws <see cref="InvalidOperationException"/> when netlink cannot be opened.
    /// </summary>
    public IDisposable WhenPresent(string name, Action present)
    {
        EnsureStarted();
        var registration = new Registration(this, name, present);
        _waits[registration] = 0;
        // It may have come back between the caller's check and the registration.
        if (IsUp(name)) registration.Fire();
        return registration;
    }

    private static bool IsUp(string name)
    {
        try
        {
            var flags = File.ReadAllText($"/sys/class/net/{name}/flags").Trim();
            return Convert.ToUInt32(flags, 16) is var f && (f & LinkEventParser.IffUp) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return false;
        }
    }

    private void EnsureStarted()
    {
        lock (_start)
        {
            if (_problem is not null) throw new InvalidOperationException(_problem);
            if (_thread is not null) return;
            var fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
            if (fd < 0) throw new InvalidOperationException(_problem = $"netlink socket: errno {Marshal.GetLastPInvokeError()}");
            var address = new Libc.SockAddrNl { Family = Libc.AF_NETLINK, Groups = Libc.RTMGRP_LINK };
            if (Libc.bind_nl(fd, &address, (uint)sizeof(Libc.SockAddrNl)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                Libc.close(fd);
                throw new InvalidOperationException(_problem = $"netlink bind to the link group: errno {errno}");
            }
            _thread = new Thread(() => Run(fd)) { IsBackground = true, Name = "vnet-netlink-links" };
            _thread.Start();
        }
    }

    private void Run(int fd)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            nint n;
            fixed (byte* p = buffer) n = Libc.recv(fd, p, (nuint)buffer.Length, 0);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR) continue;
                // ENOBUFS: events were lost; what matters is the present state, so look at every wait.
                foreach (var w in _waits.Keys) if (IsUp(w.Name)) w.Fire();
                continue;
            }
            foreach (var e in LinkEventParser.Parse(buffer.AsSpan(0, (int)n)))
                if (e.Up)
                    foreach (var w in _waits.Keys.Where(w => w.Name == e.Name)) w.Fire();
        }
    }

    private sealed class Registration(InterfaceWatcher owner, string name, Action present) : IDisposable
    {
        private int _done;

        public string Name => name;

        public void Fire()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            owner._waits.TryRemove(this, out _);
            present();
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref _done, 1);
            owner._waits.TryRemove(this, out _);
        }
    }
}
