using VNet.Actors.Networks;
using VNet.Messages;

namespace VNet.Host.Tests.Networks;

public sealed class KernelLinkFileTests
{
    private static string File(string options) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <network name="k">
          <vm name="vm1"><nic mac="02:00:00:00:01:01" /></vm>
          <vm name="vm2"><nic mac="02:00:00:00:02:01" /></vm>
          <link id="k1" kind="kernel-p2p">
            <end vm="vm1" />
            <end vm="vm2" />
            {options}
          </link>
        </network>
        """;

    [Fact]
    public void A_kernel_link_with_dscp_and_bandwidth_reads_and_writes_back()
    {
        var n = NetworkFile.Parse(File("""<options dscp="46" bandwidth="100M" />"""), "k.xml");
        var link = Assert.Single(n.Links);
        Assert.Equal(LinkKind.KernelP2P, link.Kind);
        Assert.Equal(100_000_000, link.Options.BandwidthBitsPerSecond);
        Assert.Contains("kind=\"kernel-p2p\"", NetworkFile.Write(n));
    }

    [Fact]
    public void An_option_the_kernel_cannot_do_is_reported_at_the_line_of_its_options_element()
    {
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(File("""<options delay="5" loss="1" />"""), "k.xml"));
        Assert.Contains(e.Problems, p => p.Line == 8 && p.Message.Contains("link k1: delay 5 ms is not possible on a kernel-p2p link"));
        Assert.Contains(e.Problems, p => p.Line == 8 && p.Message.Contains("loss 1 % is not possible on a kernel-p2p link"));
        Assert.StartsWith("k.xml:8:", e.Problems.First(p => p.Message.Contains("delay")).ToString());
    }
}
