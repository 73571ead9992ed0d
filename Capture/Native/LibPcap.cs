using System.Runtime.InteropServices;

namespace VNet.Capture.Native;

/// <summary>
/// Direct libpcap calls on a handle SharpPcap opened: SharpPcap has no batched read, so the hot
/// loop calls pcap_dispatch itself (SharpPcap does discovery, open and filters).
/// </summary>
internal static unsafe partial class LibPcap
{
    private const string Library = "libpcap.so.0.8";

    /// <summary>struct pcap_pkthdr on 64-bit Linux: timeval, caplen, len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public long Seconds;
        public long Microseconds;
        public uint CaptureLength;
        public uint Length;
    }

    /// <summary>struct pcap_stat.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    [LibraryImport(Library)]
    public static partial int pcap_stats(nint pcap, Stat* stats);

    [LibraryImport(Library)]
    public static partial int pcap_dispatch(nint pcap, int count, delegate* unmanaged<nint, PacketHeader*, byte*, void> callback, nint user);

    [LibraryImport(Library)]
    public static partial int pcap_inject(nint pcap, byte* buffer, nuint size);

    [LibraryImport(Library)]
    public static partial void pcap_breakloop(nint pcap);

    [LibraryImport(Library)]
    public static partial nint pcap_geterr(nint pcap);

    [LibraryImport(Library)]
    public static partial int pcap_setnonblock(nint pcap, int nonblock, byte* errbuf);

    [LibraryImport(Library)]
    public static partial int pcap_get_selectable_fd(nint pcap);

    /// <summary>The handle's last error text.</summary>
    public static string LastError(nint pcap) => Marshal.PtrToStringUTF8(pcap_geterr(pcap)) ?? "unknown pcap error";
}
