using VNet.Host.Experiments;

namespace VNet.Host.Tests.Experiments;

/// <summary>The tools' output as the probes read it: ping -D -O lines and iperf3 JSON, also when interrupted.</summary>
public class ProbeOutputTests
{
    [Fact]
    public void Ping_replies_and_missing_replies_become_one_row_per_request_at_its_send_time()
    {
        string[] output =
        [
            "PING 10.250.0.2 (10.250.0.2) 56(84) bytes of data.",
            "[1733220000.100000] 64 bytes from 10.250.0.2: icmp_seq=1 ttl=64 time=0.500 ms",
            "[1733220000.300000] no answer yet for icmp_seq=2",
            "[1733220000.300400] 64 bytes from 10.250.0.2: icmp_seq=3 ttl=64 time=0.400 ms",
            "--- 10.250.0.2 ping statistics ---",
        ];
        var lines = output.Select(PingLine.Parse).OfType<PingLine>().ToList();
        Assert.Equal(3, lines.Count);
        var requests = PingLine.Requests(lines, 0.1);
        Assert.Equal([1, 2, 3], requests.Select(r => r.Sequence));
        Assert.Equal(1733220000.0995, requests[0].Epoch, 4);
        Assert.Null(requests[1].RttMs);
        Assert.Equal(1733220000.2, requests[1].Epoch, 4);
        Assert.Equal(0.4, requests[2].RttMs);
    }

    [Fact]
    public void Iperf_uses_the_receiver_s_intervals_and_totals()
    {
        const string json = """
            {"start":{},"intervals":[{"sum":{"end":0.5,"bits_per_second":21000000,"retransmits":3}},{"sum":{"end":1.0,"bits_per_second":19000000,"retransmits":0}}],
             "end":{"sum_sent":{"bits_per_second":20500000,"retransmits":3},"sum_received":{"bits_per_second":20000000}},
             "server_output_json":{"intervals":[{"sum":{"end":0.5,"bits_per_second":20100000}},{"sum":{"end":1.0,"bits_per_second":19900000}}]}}
            """;
        var report = IperfReport.Parse(json, udp: false);
        Assert.Equal([20.1e6, 19.9e6], report.Intervals.Select(i => i.BitsPerSecond));
        Assert.Equal([3L, 0L], report.Intervals.Select(i => i.Retransmits));
        Assert.Equal(20e6, report.MeanBitsPerSecond);
        Assert.Equal(3, report.Retransmits);
    }

    [Fact]
    public void An_interrupted_iperf_keeps_its_intervals_and_averages_them()
    {
        const string json = """
            {"intervals":[{"sum":{"end":1.0,"bits_per_second":10000000,"lost_percent":1.0}},{"sum":{"end":2.0,"bits_per_second":30000000,"lost_percent":3.0}}],
             "end":{"sum":{"bits_per_second":0,"lost_percent":0}},"error":"interrupt - the client has terminated"}
            """;
        var report = IperfReport.Parse(json, udp: true);
        Assert.Equal("interrupt - the client has terminated", report.Error);
        Assert.Equal(20e6, report.MeanBitsPerSecond);
        Assert.Equal(2.0, report.MeanLostPercent);
    }

    [Fact]
    public void Iperf_output_that_is_not_JSON_is_an_error_not_an_exception()
    {
        var report = IperfReport.Parse("iperf3: error - unable to connect", udp: false);
        Assert.Empty(report.Intervals);
        Assert.StartsWith("iperf3 printed no JSON", report.Error);
    }
}
