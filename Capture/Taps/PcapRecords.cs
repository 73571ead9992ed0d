using System.Buffers.Binary;

namespace VNet.Capture.Taps;

/// <summary>One frame of a pcap file with its capture time.</summary>
/// <param name="Time">When the frame was captured (microseconds).</param>
/// <param name="Frame">The frame's bytes as captured.</param>
public sealed record PcapRecord(DateTimeOffset Time, byte[] Frame);

/// <summary>
/// The classic pcap format as <see cref="PcapWriter"/> writes it: a 24-byte file header (magic
/// <c>a1b2c3d4</c> little-endian, version 2.4, LINKTYPE_ETHERNET), then per frame a 16-byte record
/// header (seconds, microseconds, captured length, original length) and the frame.
/// </summary>
public static class PcapRecords
{
    /// <summary>Length of the file header.</summary>
    public const int FileHeaderLength = 24;

    /// <summary>Length of a record header.</summary>
    public const int RecordHeaderLength = 16;

    /// <summary>The largest frame a record may hold (the file header's snap length).</summary>
    public const int SnapLength = 65535;

    /// <summary>Writes the file header into <paramref name="header"/> (24 bytes).</summary>
    public static void WriteFileHeader(Span<byte> header)
    {
        header[..FileHeaderLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // LINKTYPE_ETHERNET
    }

    /// <summary>The file header as a new array.</summary>
    public static byte[] FileHeader()
    {
        var header = new byte[FileHeaderLength];
        WriteFileHeader(header);
        return header;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> unless <paramref name="header"/> is a file header this format reads.</summary>
    public static void CheckFileHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < FileHeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(header) != 0xa1b2c3d4)
            throw new InvalidDataException("not a little-endian microsecond pcap stream (magic a1b2c3d4 expected)");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[20..]) != 1)
            throw new InvalidDataException($"pcap link type {BinaryPrimitives.ReadUInt32LittleEndian(header[20..])} is not Ethernet (1)");
    }

    /// <summary>
    /// The records in <paramref name="data"/>: whole records only, after a file header when
    /// <paramref name="withFileHeader"/>. Throws <see cref="InvalidDataException"/> on a bad header or a cut record.
    /// </summary>
    public static List<PcapRecord> Read(ReadOnlySpan<byte> data, bool withFileHeader)
    {
        if (withFileHeader)
        {
            CheckFileHeader(data);
            data = data[FileHeaderLength..];
        }
        var records = new List<PcapRecord>();
        while (data.Length > 0)
        {
            var length = RecordLength(data);
            if (length < 0 || length > data.Length) throw new InvalidDataException($"pcap record cut short: {data.Length} byte(s) left");
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(data);
            var micros = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            records.Add(new PcapRecord(DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10L), data[RecordHeaderLength..length].ToArray()));
            data = data[length..];
        }
        return records;
    }

    /// <summary>
    /// The whole length (header and frame) of the record <paramref name="data"/> starts with; -1 when
    /// not even its header is there. Throws <see cref="InvalidDataException"/> on a length over the snap length.
    /// </summary>
    public static int RecordLength(ReadOnlySpan<byte> data)
    {
        if (data.Length < RecordHeaderLength) return -1;
        var captured = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        if (captured > SnapLength) throw new InvalidDataException($"pcap record of {captured} bytes is over the snap length {SnapLength}");
        return RecordHeaderLength + (int)captured;
    }
}

/// <summary>
/// Cuts one pcap byte stream, arriving in chunks of any size, into whole records: what
/// <see cref="Append"/> returns can be joined with other streams' records into one file, since it
/// never splits a record and leaves out the stream's own file header (checked on the way).
/// </summary>
public sealed class PcapRecordStream
{
    private byte[] _pending = [];
    private bool _headerSeen;

    /// <summary>Adds a chunk; returns the records it completed (record headers and frames), possibly none.</summary>
    public byte[] Append(ReadOnlySpan<byte> chunk)
    {
        var data = _pending.Length == 0 ? chunk.ToArray() : [.. _pending, .. chunk];
        var start = 0;
        if (!_headerSeen)
        {
            if (data.Length < PcapRecords.FileHeaderLength)
            {
                _pending = data;
                return [];
            }
            PcapRecords.CheckFileHeader(data);
            _headerSeen = true;
            start = PcapRecords.FileHeaderLength;
        }
        var end = start;
        while (PcapRecords.RecordLength(data.AsSpan(end)) is var length && length >= 0 && end + length <= data.Length) end += length;
        _pending = data[end..];
        return data[start..end];
    }
}
