using System.Runtime.InteropServices;

namespace VNet.Capture.Native;

/// <summary>
/// The few libc calls .NET does not expose: raw sockets with any protocol number (the managed
/// Socket constructor rejects unknown ones, PLATFORM-NOTES) and batched send/receive.
/// </summary>
internal static unsafe partial class Libc
{
    public const int AF_INET = 2;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_RCVTIMEO = 20;
    public const int SO_BINDTODEVICE = 25;
    public const int SO_RXQ_OVFL = 40;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int IPPROTO_IP = 0;
    public const int IP_TOS = 1;
    public const int IP_TTL = 2;
    public const int IP_MTU_DISCOVER = 10;
    public const int IP_MTU = 14;
    public const int SOL_UDP = 17;
    public const int UDP_SEGMENT = 103;
    public const int UDP_GRO = 104;
    public const int IP_MULTICAST_IF = 32;
    public const int IP_MULTICAST_TTL = 33;
    public const int IP_MULTICAST_LOOP = 34;
    public const int IP_ADD_MEMBERSHIP = 35;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_WAITFORONE = 0x10000;
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ECONNREFUSED = 111;
    public const int ENOPROTOOPT = 92;
    public const int EHOSTDOWN = 112;
    public const int EMSGSIZE = 90;
    public const int ENOBUFS = 105;
    public const int EPERM = 1;
    public const int ENETUNREACH = 101;
    public const int EHOSTUNREACH = 113;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint AddressNetworkOrder;
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLNVAL = 0x20;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // AF_PACKET (linux/if_packet.h): the VM-side data path with offload metadata (virtio_net_hdr).
    public const int AF_PACKET = 17;
    public const int SOL_PACKET = 263;
    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_MR_PROMISC = 1;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_AUXDATA = 8;
    public const int PACKET_VNET_HDR = 15;
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const int SO_ATTACH_FILTER = 26;
    public const ushort ETH_P_ALL_BigEndian = 0x0300; // htons(ETH_P_ALL)
    public const int MSG_TRUNC = 0x20;
    public const int TP_STATUS_VLAN_VALID = 0x10;
    public const int TP_STATUS_VLAN_TPID_VALID = 0x40;

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrLl
    {
        public ushort Family;
        public ushort ProtocolBigEndian;
        public int InterfaceIndex;
        public ushort HardwareType;
        public byte PacketType;
        public byte AddressLength;
        public ulong Address;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PacketMreq
    {
        public int InterfaceIndex;
        public ushort Type;
        public ushort AddressLength;
        public ulong Address;
    }

    /// <summary>struct tpacket_auxdata, carried in a PACKET_AUXDATA control message.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PacketAuxData
    {
        public uint Status;
        public uint Length;
        public uint SnapLength;
        public ushort MacOffset;
        public ushort NetOffset;
        public ushort VlanTci;
        public ushort VlanTpid;
    }

    /// <summary>One classic BPF instruction (struct sock_filter).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockFilter
    {
        public ushort Code;
        public byte JumpTrue;
        public byte JumpFalse;
        public uint K;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockFprog
    {
        public ushort Length;
        public SockFilter* Filter;
    }

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int bind_ll(int fd, SockAddrLl* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ppoll(PollFd* fds, nuint count, TimeSpec* timeout, void* sigmask);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, SockAddrIn* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int connect(int fd, SockAddrIn* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockname(int fd, SockAddrIn* address, uint* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, TimeVal* timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string name);

    public const int AF_NETLINK = 16;
    public const int NETLINK_ROUTE = 0;
    public const uint RTMGRP_LINK = 1;

    /// <summary>struct sockaddr_nl.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint Pid;
        public uint Groups;
    }

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int bind_nl(int fd, SockAddrNl* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, void* buffer, nuint length, int flags);

    /// <summary>
    /// Waits up to <paramref name="timeoutMicros"/> for <paramref name="fd"/> to be readable (ppoll, so the
    /// wait can end at a frame's departure time); false on timeout or a signal. Throws, naming
    /// <paramref name="interfaceName"/>, when the poll fails or the interface went away.
    /// </summary>
    public static bool WaitReadable(int fd, int timeoutMicros, string interfaceName)
    {
        var poll = new PollFd { Fd = fd, Events = POLLIN };
        var timeout = new TimeSpec { Seconds = timeoutMicros / 1_000_000, Nanoseconds = timeoutMicros % 1_000_000 * 1000L };
        var ready = ppoll(&poll, 1, &timeout, null);
        if (ready == 0) return false;
        if (ready < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) return false;
            throw new InvalidOperationException($"poll on {interfaceName} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        if ((poll.Revents & (POLLERR | POLLNVAL)) != 0 && (poll.Revents & POLLIN) == 0)
            throw new InvalidOperationException($"interface {interfaceName} went away");
        return true;
    }

    /// <summary>setsockopt with an int value; throws with the option named on failure.</summary>
    public static void SetInt(int fd, int level, int name, int value, string what)
    {
        if (setsockopt(fd, level, name, &value, sizeof(int)) != 0)
            throw new System.Net.Sockets.SocketException(Marshal.GetLastPInvokeError(), $"setsockopt {what}={value} failed: {LibcErrors.GetLastPInvokePErrorMessage()}");
    }

    /// <summary>getsockopt with an int value.</summary>
    public static int GetInt(int fd, int level, int name)
    {
        int value = 0;
        uint length = sizeof(int);
        return getsockopt(fd, level, name, &value, &length) == 0 ? value : -1;
    }

    /// <summary>Builds a sockaddr_in for an IPv4 address and port.</summary>
    public static SockAddrIn SockAddr(System.Net.IPAddress address, int port)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return new SockAddrIn
        {
            Family = AF_INET,
            PortBigEndian = (ushort)System.Net.IPAddress.HostToNetworkOrder((short)port),
            AddressNetworkOrder = MemoryMarshal.Read<uint>(bytes),
        };
    }

    /// <summary>The IPv4 address of a sockaddr_in.</summary>
    public static System.Net.IPAddress Address(in SockAddrIn address) => new(address.AddressNetworkOrder);
}

internal static class LibcErrors
{
    /// <summary>errno text for the last P/Invoke error.</summary>
    public static string GetLastPInvokePErrorMessage() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
}
