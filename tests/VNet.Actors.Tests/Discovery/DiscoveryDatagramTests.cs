using System.Collections.Immutable;
using System.Text.RegularExpressions;
using VNet.Actors.Discovery;
using VNet.Messages;

namespace VNet.Actors.Tests.Discovery;

public sealed partial class DiscoveryDatagramTests
{
    private static readonly Guid Id = new("00112233-4455-6677-8899-aabbccddeeff");

    private static HostInfo SampleHost(int vms = 1) => new(
        "h2", "198.51.100.10",
        [new InterfaceInfo("eth0", "198.51.100.10", 24, MacAddress.Parse("02:00:00:00:00:02"), "198.51.100.1", null, 1500)],
        [.. Enumerable.Range(0, vms).Select(i => new VmInfo(i == 0 ? "vm2" : $"vm-{i}", [new VmNic(new MacAddress(0x020000000201UL + (ulong)i), i == 0 ? "vm2" : $"v{i}")], "running"))],
        0.5)
    {
        ReadAt = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        NodeAddress = "akka.tcp://vnet@198.51.100.10:4053",
    };

    private static DiscoveryQuery SampleQuery() => new(Id, 3, MemberState.NotMember, "h1", "akka.tcp://vnet@192.0.2.10:4053", null);

    /// <summary>A hex block of docs/discovery.md that follows <c>&lt;!-- vector:NAME --&gt;</c>.</summary>
    private static byte[] Vector(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "discovery.md"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var doc = File.ReadAllText(Path.Combine(dir.FullName, "docs", "discovery.md"));
        var match = Regex.Match(doc, $@"<!-- vector:{name} -->\s*```\s*\n(?<hex>[0-9a-f \n]+)```");
        Assert.True(match.Success, $"vector {name} not found in docs/discovery.md");
        return Convert.FromHexString(match.Groups["hex"].Value.Replace(" ", "").Replace("\n", ""));
    }

    [Fact]
    public void Query_encodes_to_the_documented_vector_and_back()
    {
        var bytes = DiscoveryDatagram.Encode(SampleQuery());
        Assert.Equal(Vector("query"), bytes);
        Assert.True(DiscoveryDatagram.TryDecode(bytes, out var message, out var error), error);
        Assert.Equal(SampleQuery(), message);
    }

    [Fact]
    public void Answer_encodes_to_the_documented_vector_and_back()
    {
        var answer = new DiscoveryAnswer(Id, 2, MemberState.Up, SampleHost(), null);
        var bytes = DiscoveryDatagram.Encode(answer);
        Assert.Equal(Vector("answer"), bytes);
        Assert.True(DiscoveryDatagram.TryDecode(bytes, out var message, out var error), error);
        var decoded = Assert.IsType<DiscoveryAnswer>(message);
        Assert.Equal(Id, decoded.QueryId);
        Assert.Equal(2, decoded.Ttl);
        Assert.Equal(MemberState.Up, decoded.State);
        Assert.Null(decoded.BootstrapSeed);
        Assert.False(decoded.Truncated);
        var host = decoded.Host;
        Assert.Equal("h2", host.Name);
        Assert.Equal("198.51.100.10", host.SubstrateAddress);
        Assert.Equal("akka.tcp://vnet@198.51.100.10:4053", host.NodeAddress);
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), host.ReadAt);
        Assert.Equal(0.5, host.Load);
        Assert.Equal(SampleHost().Interfaces.ToArray(), host.Interfaces.ToArray());
        var vm = Assert.Single(host.Vms);
        Assert.Equal(("vm2", "running"), (vm.Name, vm.State));
        Assert.Equal([new VmNic(MacAddress.Parse("02:00:00:00:02:01"), "vm2")], vm.Nics.ToArray());
    }

    [Fact]
    public void Answer_with_a_seed_gateway_mac_and_vm_state_with_space_round_trips()
    {
        var host = SampleHost() with
        {
            Interfaces = [new InterfaceInfo("eth0", "198.51.100.10", 24, null, "198.51.100.1", MacAddress.Parse("02:aa:00:00:00:01"), 9000), new InterfaceInfo("vm2", null, 0, MacAddress.Parse("02:bb:00:00:00:01"), null, null, 1500)],
            Vms = [new VmInfo("debian 12", [], "shut off")],
        };
        var answer = new DiscoveryAnswer(Id, 255, MemberState.Joining, host, "akka.tcp://vnet@192.0.2.10:4053");
        Assert.True(DiscoveryDatagram.TryDecode(DiscoveryDatagram.Encode(answer), out var message, out var error), error);
        var decoded = Assert.IsType<DiscoveryAnswer>(message);
        Assert.Equal(host.Interfaces.ToArray(), decoded.Host.Interfaces.ToArray());
        Assert.Equal(("debian 12", "shut off"), (decoded.Host.Vms[0].Name, decoded.Host.Vms[0].State));
        Assert.Equal("akka.tcp://vnet@192.0.2.10:4053", decoded.BootstrapSeed);
        Assert.Equal(255, decoded.Ttl);
    }

    [Fact]
    public void An_answer_with_too_many_vms_is_cut_to_fit_and_says_so()
    {
        var bytes = DiscoveryDatagram.Encode(new DiscoveryAnswer(Id, 1, MemberState.Up, SampleHost(vms: 2000), null));
        Assert.True(bytes.Length <= DiscoveryDatagram.MaxLength);
        Assert.True(DiscoveryDatagram.TryDecode(bytes, out var message, out var error), error);
        var decoded = Assert.IsType<DiscoveryAnswer>(message);
        Assert.True(decoded.Truncated);
        Assert.InRange(decoded.Host.Vms.Length, 1, DiscoveryDatagram.MaxVms);
    }

    [Fact]
    public void Encoding_refuses_what_peers_would_refuse()
    {
        Assert.Throws<ArgumentException>(() => DiscoveryDatagram.Encode(SampleQuery() with { Ttl = 0 }));
        Assert.Throws<ArgumentException>(() => DiscoveryDatagram.Encode(SampleQuery() with { Host = "bad name" }));
        Assert.Throws<ArgumentException>(() => DiscoveryDatagram.Encode(new DiscoveryAnswer(Id, 1, MemberState.Up, SampleHost() with { Load = double.NaN }, null)));
    }

    public static TheoryData<string, string> Malformed()
    {
        var query = DiscoveryDatagram.Encode(SampleQuery());
        var answer = DiscoveryDatagram.Encode(new DiscoveryAnswer(Id, 2, MemberState.Up, SampleHost(), null));
        string Hex(byte[] b) => Convert.ToHexString(b);
        byte[] With(byte[] b, int at, byte value) { var c = (byte[])b.Clone(); c[at] = value; return c; }
        byte[] Grow(byte[] b, int extra)
        {
            var c = new byte[b.Length + extra];
            b.CopyTo(c, 0);
            var body = b.Length + extra - DiscoveryDatagram.HeaderLength;
            c[10] = (byte)(body >> 8);
            c[11] = (byte)body;
            return c;
        }
        byte[] Shrink(byte[] b, int less)
        {
            var c = b[..^less];
            var body = c.Length - DiscoveryDatagram.HeaderLength;
            c[10] = (byte)(body >> 8);
            c[11] = (byte)body;
            return c;
        }
        return new TheoryData<string, string>
        {
            { "", "too-short" },
            { Hex(query[..27]), "too-short" },
            { Hex(new byte[DiscoveryDatagram.MaxLength + 1]), "too-long" },
            { Hex(With(query, 0, (byte)'X')), "magic" },
            { Hex(With(query, 4, 2)), "version" },
            { Hex(With(query, 5, 9)), "kind" },
            { Hex(With(query, 6, 1)), "flags" },
            { Hex(With(answer, 6, 0x80)), "flags" },
            { Hex(With(query, 7, 4)), "state" },
            { Hex(With(query, 8, 0)), "ttl" },
            { Hex(With(query, 9, 1)), "reserved" },
            { Hex(With(query, 11, 0x25)), "length" },
            { Hex(query[..^1]), "length" },
            { Hex(Grow(query, 1)), "trailing" },
            { Hex(Shrink(answer, 5)), "truncated" },
            { Hex(With(query, 28, 0)), "host-name" },          // empty host name
            { Hex(With(query, 29, (byte)' ')), "host-name" },   // "h1" -> " 1"
            { Hex(With(query, 29, 0x01)), "host-name" },        // control character
            { Hex(With(query, 29, 0xff)), "utf8" },
            { Hex(With(With(With(With(answer, 31, 0), 32, 0), 33, 0), 34, 0)), "substrate-address" },
            { Hex(With(answer, 71, 0x7f)), "read-at" },         // far in the future
            { Hex(With(answer, 79, 0xff)), "load" },            // negative
            { Hex(With(answer, 87, 200)), "count" },            // interface count over 64
            { Hex(With(answer, 97, 40)), "prefix" },
            { Hex(With(answer, 98, 0x10)), "flags" },           // unknown interface flag
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_datagrams_are_refused_with_a_reason(string hex, string reason)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.False(DiscoveryDatagram.TryDecode(bytes, out var message, out var error));
        Assert.Null(message);
        Assert.Equal(reason, error);
    }

    [Fact]
    public void A_node_address_without_host_and_port_is_refused()
    {
        var bytes = DiscoveryDatagram.Encode(SampleQuery() with { NodeAddress = "akka.tcp://vnet@192.0.2.10:4053" });
        bytes[36] = (byte)' '; // a space inside the address
        Assert.False(DiscoveryDatagram.TryDecode(bytes, out _, out var error));
        Assert.Equal("node-address", error);
    }

    [Fact]
    public void Random_garbage_and_mutations_never_throw()
    {
        var random = new Random(4);
        var valid = new[]
        {
            DiscoveryDatagram.Encode(SampleQuery()),
            DiscoveryDatagram.Encode(new DiscoveryAnswer(Id, 2, MemberState.Up, SampleHost(vms: 5), "akka.tcp://vnet@192.0.2.10:4053")),
        };
        for (var i = 0; i < 20_000; i++)
        {
            byte[] bytes;
            if (i % 4 == 0)
            {
                bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
                if (bytes.Length >= 4 && i % 8 == 0) "VNDS"u8.CopyTo(bytes);
            }
            else
            {
                bytes = (byte[])valid[i % 2].Clone();
                for (var k = random.Next(1, 4); k > 0; k--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                if (i % 3 == 0) bytes = bytes[..random.Next(bytes.Length)];
            }
            var ok = DiscoveryDatagram.TryDecode(bytes, out var message, out var error);
            Assert.Equal(ok, message is not null);
            Assert.Equal(ok, error is null);
        }
    }
}
