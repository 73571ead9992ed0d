using System.Runtime.InteropServices;

namespace VNet.Capture.Native;

/// <summary>
/// epoll and eventfd, for the forwarder pool: one thread waits on the sockets of many links.
/// <c>struct epoll_event</c> is packed on x86-64 (12 bytes, data at offset 4) and naturally
/// aligned elsewhere (16 bytes, data at offset 8); events are read through <see cref="EventSize"/>.
/// </summary>
internal static unsafe partial class Epoll
{
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Bytes per <c>struct epoll_event</c> on this machine.</summary>
    public static readonly int EventSize = Packed ? 12 : 16;

    private static readonly int DataOffset = Packed ? 4 : 8;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_pwait2(int epfd, byte* events, int maxEvents, Libc.TimeSpec* timeout, void* sigmask);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setpriority(int which, int who, int prio);

    /// <summary>This thread's kernel id, for <see cref="setpriority"/> of one thread (glibc 2.30 on; the syscall number differs per architecture).</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int ThreadId();

    private static bool _noPwait2;

    /// <summary>Adds <paramref name="fd"/> for input; <paramref name="data"/> comes back with its events.</summary>
    public static int Add(int epfd, int fd, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = EPOLLIN;
        *(ulong*)(ev + DataOffset) = data;
        return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, ev);
    }

    /// <summary>Removes <paramref name="fd"/> (an fd already closed is gone from the set anyway).</summary>
    public static int Remove(int epfd, int fd)
    {
        var ev = stackalloc byte[16];
        return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, ev);
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMicros"/> (negative: no limit) for events; returns their count,
    /// 0 on timeout or a signal. Microseconds, through epoll_pwait2 where the C library has it
    /// (glibc 2.35 on), else milliseconds rounded up.
    /// </summary>
    public static int Wait(int epfd, byte* events, int maxEvents, long timeoutMicros)
    {
        int n;
        if (!_noPwait2)
        {
            try
            {
                if (timeoutMicros < 0) n = epoll_pwait2(epfd, events, maxEvents, null, null);
                else
                {
                    var ts = new Libc.TimeSpec { Seconds = timeoutMicros / 1_000_000, Nanoseconds = timeoutMicros % 1_000_000 * 1000 };
                    n = epoll_pwait2(epfd, events, maxEvents, &ts, null);
                }
                goto done;
            }
            catch (EntryPointNotFoundException)
            {
                _noPwait2 = true;
            }
        }
        n = epoll_wait(epfd, events, maxEvents, timeoutMicros < 0 ? -1 : (int)Math.Min(int.MaxValue, (timeoutMicros + 999) / 1000));
    done:
        if (n >= 0) return n;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.EINTR) return 0;
        throw new InvalidOperationException($"epoll_wait failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>The events of entry <paramref name="index"/>.</summary>
    public static uint EventsOf(byte* events, int index) => *(uint*)(events + index * EventSize);

    /// <summary>The data of entry <paramref name="index"/>.</summary>
    public static ulong DataOf(byte* events, int index) => *(ulong*)(events + index * EventSize + DataOffset);
}
