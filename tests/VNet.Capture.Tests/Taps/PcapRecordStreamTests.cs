using VNet.Capture.Taps;

namespace VNet.Capture.Tests.Taps;

/// <summary>A pcap stream cut into whole records whatever the chunk sizes, so several streams join into one file.</summary>
public sealed class PcapRecordStreamTests
{
    private static readonly byte[] Recorded = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "pcap", "veth-pair.pcap"));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(24)]
    [InlineData(100)]
    [InlineData(100_000)]
    public void Chunks_of_any_size_give_back_every_record_whole_and_without_the_file_header(int chunkSize)
    {
        var stream = new PcapRecordStream();
        var records = new List<byte>();
        for (var at = 0; at < Recorded.Length; at += chunkSize)
        {
            var whole = stream.Append(Recorded.AsSpan(at, Math.Min(chunkSize, Recorded.Length - at)));
            PcapRecords.Read(whole, withFileHeader: false); // never a cut record
            records.AddRange(whole);
        }
        Assert.Equal(Recorded[PcapRecords.FileHeaderLength..], records.ToArray());
    }

    [Fact]
    public void Records_of_two_streams_joined_under_one_header_read_back_as_one_file()
    {
        var a = new PcapRecordStream().Append(Recorded);
        var b = new PcapRecordStream().Append(Recorded);
        var joined = PcapRecords.Read([.. PcapRecords.FileHeader(), .. a, .. b], withFileHeader: true);
        Assert.Equal(56, joined.Count);
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 13, 22, 33, TimeSpan.Zero).AddTicks(657220), joined[0].Time);
    }

    [Fact]
    public void A_stream_that_is_not_pcap_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => new PcapRecordStream().Append(new byte[40]));
        Assert.Throws<InvalidDataException>(() => PcapRecords.Read(Recorded[..^3], withFileHeader: true));
    }

    [Fact]
    public void The_writer_and_the_reader_agree()
    {
        var chunks = new List<byte>();
        var writer = new PcapWriter(c => chunks.AddRange(c), chunkSize: 64);
        byte[] frame = [.. Enumerable.Range(0, 60).Select(i => (byte)i)];
        writer.OnFrame(frame);
        writer.OnFrame(frame[..42]);
        writer.Flush();
        var read = PcapRecords.Read(chunks.ToArray(), withFileHeader: true);
        Assert.Equal([60, 42], read.Select(r => r.Frame.Length));
        Assert.Equal(frame, read[0].Frame);
    }
}
