using System.Runtime.InteropServices;

namespace VNet.Capture.Native;

/// <summary>The netlink part of libc: a NETLINK_ROUTE socket that hears link changes.</summary>
internal static unsafe partial class Libc
{
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
}
