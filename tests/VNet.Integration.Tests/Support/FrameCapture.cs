using System.Diagnostics;
using VNet.Host.Labs;

namespace VNet.Integration.Tests.Support;

/// <summary>
/// tcpdump run in a lab namespace in the background, writing a pcap file; frames are read back
/// exactly as libpcap delivered them (VLAN tags re-inserted).
/// </summary>
public sealed class FrameCapture : IDisposable
{
    private readonly Process _process;
    private readonly string _file;

    private FrameCapture(Process process, string file)
    {
        _process = process;
        _file = file;
    }

    /// <summary>Starts capturing on <paramref name="interfaceName"/> in <paramref name="netns"/> and waits until tcpdump listens.</summary>
    public static FrameCapture Start(string netns, string interfaceName, string filter, string directory, string direction = "inout", int count = 1000)
    {
        var file = Path.Combine(directory, $"cap-{Guid.NewGuid():N}.pcap");
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, "tcpdump", "-n", "-U", "-i", interfaceName, "-Q", direction, "-c", count.ToString(), "-w", file, filter }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        // tcpdump says "listening on ..." on stderr once the capture is open.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var line = p.StandardError.ReadLine();
            if (line is null) throw new InvalidOperationException($"tcpdump in {netns} exited: {p.StandardOutput.ReadToEnd()}");
            if (line.Contains("listening on")) break;
        }
        _ = p.StandardError.ReadToEndAsync();
        return new FrameCapture(p, file);
    }

    /// <summary>Stops the capture (after <paramref name="settle"/>) and returns the frames.</summary>
    public List<byte[]> Stop(TimeSpan? settle = null)
    {
        Thread.Sleep(settle ?? TimeSpan.FromMilliseconds(500));
        if (!_process.HasExited)
        {
            Shell.Run("kill", ["-INT", _process.Id.ToString()], check: false);
            _process.WaitForExit(5000);
        }
        return PcapFile.Read(_file);
    }

    /// <summary>Waits for tcpdump to reach its count (or the timeout) and returns the frames.</summary>
    public List<byte[]> WaitForCount(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return Stop(TimeSpan.Zero);
        return PcapFile.Read(_file);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_process.HasExited) { try { _process.Kill(); } catch (InvalidOperationException) { } }
        _process.Dispose();
        if (File.Exists(_file)) File.Delete(_file);
    }
}

/// <summary>Reads the frames of a classic pcap file.</summary>
public static class PcapFile
{
    /// <summary>The frames in the file (empty when it does not exist).</summary>
    public static List<byte[]> Read(string path)
    {
        var frames = new List<byte[]>();
        if (!File.Exists(path)) return frames;
        var data = File.ReadAllBytes(path);
        if (data.Length < 24) return frames;
        var swapped = BitConverter.ToUInt32(data, 0) is 0xd4c3b2a1 or 0x4d3cb2a1;
        uint U32(int offset)
        {
            var v = BitConverter.ToUInt32(data, offset);
            return swapped ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v) : v;
        }
        for (var at = 24; at + 16 <= data.Length;)
        {
            var captured = (int)U32(at + 8);
            if (at + 16 + captured > data.Length) break;
            frames.Add(data.AsSpan(at + 16, captured).ToArray());
            at += 16 + captured;
        }
        return frames;
    }
}
