using VNet.Integration.Tests.Support;

namespace VNet.Integration.Tests.Links;

/// <summary>
/// Every frame a VM sends on its port crosses, whatever its source MAC (a VM that bridges, runs
/// nested guests or VRRP), exactly once, and nothing comes back to the sender.
/// </summary>
public abstract partial class LinkKindTests<TLab>
{
    [Fact]
    public void Frames_with_foreign_source_macs_cross_both_ways_exactly_once_without_echo()
    {
        ForeignFramesCross("vm1", "vm2", "02:00:00:00:aa:01");
        ForeignFramesCross("vm2", "vm1", "02:00:00:00:aa:02");
    }

    /// <summary>
    /// <paramref name="from"/> sends a unicast frame to <paramref name="to"/> and a broadcast, both from
    /// <paramref name="foreignMac"/>: each other member gets the broadcast once, <paramref name="to"/> the
    /// unicast once as well, and <paramref name="from"/> gets neither back.
    /// </summary>
    private void ForeignFramesCross(string from, string to, string foreignMac)
    {
        var src = Convert.FromHexString(foreignMac.Replace(":", ""));
        var payload = Hex("88b6 " + Convert.ToHexString("VNet foreign source MAC test frame, 46+ bytes"u8));
        byte[] unicast = [.. MacBytes(to), .. src, .. payload];
        byte[] broadcast = [.. Hex("ffffffffffff"), .. src, .. payload];
        var others = (Fixture.Multipoint ? new[] { "vm1", "vm2", "vm3" } : ["vm1", "vm2"]).Where(v => v != from).ToList();
        var filter = $"ether src {foreignMac} and ether proto 0x88b6";
        var captures = others.ToDictionary(v => v, v => FrameCapture.Start(Session.Ns(v), "eth0", filter, Session.State.Directory, "in"));
        using var echo = FrameCapture.Start(Session.Ns(from), "eth0", filter, Session.State.Directory, "in");
        try
        {
            using (var socket = PacketSocket.Open(Session.Ns(from), "eth0"))
            {
                socket.Send(unicast);
                socket.Send(broadcast);
            }
            foreach (var (vm, capture) in captures)
            {
                var got = capture.Stop(TimeSpan.FromMilliseconds(vm == others[0] ? 1000 : 100)).Select(Convert.ToHexString).ToList();
                Assert.Equal(1, got.Count(f => f == Convert.ToHexString(broadcast)));
                // A multipoint segment is a hub: a third member may see the unicast too, but only once.
                var unicasts = got.Count(f => f == Convert.ToHexString(unicast));
                if (vm == to) Assert.Equal(1, unicasts);
                else Assert.InRange(unicasts, 0, 1);
            }
            Assert.Empty(echo.Stop(TimeSpan.FromMilliseconds(100)));
        }
        finally
        {
            foreach (var c in captures.Values) c.Dispose();
        }
    }
}
