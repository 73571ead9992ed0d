using VNet.Messages;

namespace VNet.Actors.Tests.Links;

/// <summary>What the kernel kinds refuse: every option that needs VNet to touch each frame.</summary>
public sealed class KernelOptionTests
{
    [Fact]
    public void Kernel_kinds_accept_dscp_bandwidth_and_burst()
    {
        var options = LinkOptions.Default with { Dscp = 46, BandwidthBitsPerSecond = 100_000_000, BurstBytes = 65536 };
        Assert.Empty(LinkKind.KernelP2P.OptionProblems(options));
    }

    [Theory]
    [InlineData("delay", "delay 5 ms is not possible on a kernel-p2p link")]
    [InlineData("jitter", "jitter 1 ms is not possible on a kernel-p2p link")]
    [InlineData("loss", "loss 2 % is not possible on a kernel-p2p link")]
    [InlineData("compression", "compression lz4 is not possible on a kernel-p2p link")]
    [InlineData("encrypt", "encrypt is not possible on a kernel-p2p link")]
    [InlineData("filter-src", "filter-src is not possible on a kernel-p2p link")]
    public void Each_option_the_kernel_cannot_do_is_refused_by_name(string option, string expected)
    {
        var options = option switch
        {
            "delay" => LinkOptions.Default with { DelayMs = 5 },
            "jitter" => LinkOptions.Default with { DelayMs = 5, JitterMs = 1 },
            "loss" => LinkOptions.Default with { LossPercent = 2 },
            "compression" => LinkOptions.Default with { Compression = Compression.Lz4 },
            "encrypt" => LinkOptions.Default with { Encrypt = true },
            _ => LinkOptions.Default with { FilterSource = true },
        };
        Assert.Contains(LinkKind.KernelP2P.OptionProblems(options), p => p.StartsWith(expected, StringComparison.Ordinal));
        Assert.Empty(LinkKind.RawP2P.OptionProblems(options));
    }

    [Fact]
    public void A_kernel_link_spec_reports_the_refused_option_with_the_link_id()
    {
        var ends = new[] { "02:00:00:00:01:01", "02:00:00:00:02:01" }.Select((m, i) => new LinkEndpoint($"h{i + 1}", $"vm{i + 1}", MacAddress.Parse(m), $"192.0.2.{11 + i}"));
        var spec = new LinkSpec("k1", LinkKind.KernelP2P, [.. ends], LinkOptions.Default with { LossPercent = 1 });
        Assert.Contains(spec.Problems(), p => p.StartsWith("link k1: loss 1 % is not possible on a kernel-p2p link", StringComparison.Ordinal));
    }

    [Fact]
    public void The_kind_is_named_kernel_p2p_and_parses_back()
    {
        Assert.Equal("kernel-p2p", LinkKind.KernelP2P.Name());
        Assert.True(LinkKinds.TryParse("kernel-p2p", out var kind) && kind == LinkKind.KernelP2P);
        Assert.Contains("kernel-p2p", LinkKinds.AllNames);
        Assert.True(kind.IsKernel() && !kind.IsMultipoint() && !kind.UsesProtocolNumber());
    }
}
