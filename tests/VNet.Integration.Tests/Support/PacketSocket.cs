using System.Runtime.InteropServices;

namespace VNet.Integration.Tests.Support;

/// <summary>
/// An AF_PACKET socket opened inside a lab namespace (a dedicated thread enters the namespace with
/// setns, opens and binds the socket, and leaves), so a test can put any frame on a VM's wire:
/// VLAN tags, odd ethertypes, broadcasts.
/// </summary>
public sealed partial class PacketSocket : IDisposable
{
    private const int AF_PACKET = 17;
    private const int SOCK_RAW = 3;
    private const int CLONE_NEWNET = 0x40000000;
    private const ushort ETH_P_ALL_BE = 0x0300;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public ulong Addr;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int type);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int bind(int fd, SockAddrLl* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint if_nametoindex(string name);

    private readonly int _fd;

    private PacketSocket(int fd) => _fd = fd;

    /// <summary>Opens a packet socket on <paramref name="interfaceName"/> in namespace <paramref name="netns"/>.</summary>
    public static unsafe PacketSocket Open(string netns, string interfaceName)
    {
        int fd = -1;
        string? error = null;
        var thread = new Thread(() =>
        {
            var home = open("/proc/thread-self/ns/net", 0);
            var target = open($"/run/netns/{netns}", 0);
            try
            {
                if (target < 0 || setns(target, CLONE_NEWNET) != 0) { error = $"cannot enter namespace {netns}: {Marshal.GetLastPInvokeErrorMessage()}"; return; }
                fd = socket(AF_PACKET, SOCK_RAW, ETH_P_ALL_BE);
                if (fd < 0) { error = $"socket(AF_PACKET) failed: {Marshal.GetLastPInvokeErrorMessage()}"; return; }
                var index = if_nametoindex(interfaceName);
                if (index == 0) { error = $"no interface {interfaceName} in {netns}"; return; }
                var sa = new SockAddrLl { Family = AF_PACKET, Protocol = ETH_P_ALL_BE, IfIndex = (int)index };
                if (bind(fd, &sa, sizeof(SockAddrLl)) != 0) error = $"bind to {interfaceName} failed: {Marshal.GetLastPInvokeErrorMessage()}";
            }
            finally
            {
                if (home >= 0) { setns(home, CLONE_NEWNET); close(home); }
                if (target >= 0) close(target);
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            if (fd >= 0) close(fd);
            throw new InvalidOperationException(error);
        }
        return new PacketSocket(fd);
    }

    /// <summary>Puts <paramref name="frame"/> on the wire as it is.</summary>
    public unsafe void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
            if (send(_fd, p, (nuint)frame.Length, 0) != frame.Length)
                throw new InvalidOperationException($"send failed: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <inheritdoc/>
    public void Dispose() => close(_fd);
}
