using System.Buffers.Binary;

namespace VNet.Capture.Taps;

/// <summary>
/// Writes frames in the classic pcap format (microsecond timestamps, LINKTYPE_ETHERNET) that
/// tcpdump and Wireshark read, handing out full chunks as they fill.
/// </summary>
public sealed class PcapWriter(Action<byte[]> onChunk, int chunkSize = 60 * 1024, long maxBytes = 256L << 20) : IFrameSink
{
    private readonly MemoryStream _buffer = new();
    private bool _headerWritten;

    /// <summary>Frames written.</summary>
    public long Frames { get; private set; }

    /// <summary>Bytes written (file header included).</summary>
    public long Bytes { get; private set; }

    /// <summary>True when frames were left out because <c>maxBytes</c> was reached.</summary>
    public bool Truncated { get; private set; }

    /// <inheritdoc/>
    public void OnFrame(ReadOnlySpan<byte> frame)
    {
        if (!_headerWritten) WriteFileHeader();
        if (Bytes + 16 + frame.Length > maxBytes)
        {
            Truncated = true;
            return;
        }
        var now = DateTimeOffset.UtcNow;
        Span<byte> record = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)now.ToUnixTimeSeconds());
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(now.ToUnixTimeMilliseconds() % 1000 * 1000 + now.Ticks / 10 % 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
        Write(record);
        Write(frame);
        Frames++;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        Bytes += bytes.Length;
        if (_buffer.Length >= chunkSize) Flush();
    }

    /// <summary>Hands out what is buffered (also the header of an empty capture).</summary>
    public void Flush()
    {
        if (!_headerWritten) WriteFileHeader();
        if (_buffer.Length == 0) return;
        onChunk(_buffer.ToArray());
        _buffer.SetLength(0);
    }

    private void WriteFileHeader()
    {
        Span<byte> header = stackalloc byte[PcapRecords.FileHeaderLength];
        PcapRecords.WriteFileHeader(header);
        _headerWritten = true;
        Write(header);
    }
}
