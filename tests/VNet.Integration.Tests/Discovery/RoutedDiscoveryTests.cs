using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Discovery;

/// <summary>labs/chain.xml without links: three subnets, two routers forwarding the discovery group.</summary>
public sealed class ChainLab : IAsyncLifetime
{
    public LabSession Session { get; private set; } = null!;

    public async Task InitializeAsync() => Session = await LabSession.UpAsync("chain", new LabOptions { CreateLinks = false });

    public async Task DisposeAsync() => await Session.DisposeAsync();
}

/// <summary>
/// Discovery across routers: real vnetd processes, smcrouted in the routers, queries
/// seen on the wire with tcpdump in the querier's namespace.
/// </summary>
public sealed partial class RoutedDiscoveryTests(ChainLab lab) : IClassFixture<ChainLab>
{
    private const string Group = "239.192.86.78";

    private LabSession Session => lab.Session;

    [Fact]
    public async Task A_host_two_routers_away_answers_only_the_ttl_3_query_and_the_search_stops_at_the_wanted_count()
    {
        // Every query h1 sends, with the IP TTL it carries, as the wire shows it (tcpdump -v).
        var log = Path.Combine(Session.State.Directory, "tcpdump-h1.log");
        var tcpdump = Shell.StartDetached(Session.Ns("h1"), ["timeout", "60", "tcpdump", "-tt", "-n", "-v", "-U", "-l", "-i", "eth0",
            $"udp and src host 192.0.2.10 and dst host {Group} and dst port 48600"], log);
        try
        {
            await Session.WaitUntilAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("listening on")), TimeSpan.FromSeconds(10), "tcpdump start");

            var (progress, reply) = await Session.StreamAsync("h1", new SearchHosts(6, 2, null));
            // A TTL-4 query would go out 6 s after the start; wait past that before reading the wire.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Shell.Run("kill", ["-INT", tcpdump.ToString(CultureInfo.InvariantCulture)], check: false);
            await Session.WaitUntilAsync(() => Task.FromResult(!Shell.Alive(tcpdump)), TimeSpan.FromSeconds(10), "tcpdump exit");

            var done = Assert.IsType<SearchDone>(reply);
            Assert.Equal((SearchEnd.WantReached, 3), (done.Reason, done.LastTtl));
            var hosts = done.Hosts.ToDictionary(h => h.Info.Name);
            Assert.Equal(["h2", "h3"], hosts.Keys.Order().ToArray());
            Assert.Equal((2, 3), (hosts["h2"].Ttl, hosts["h3"].Ttl));
            Assert.InRange(hosts["h3"].ElapsedSeconds, 3.8, 5.5);
            // Found hosts were streamed as they answered, each once, nearest first.
            Assert.Equal(["h2", "h3"], progress.OfType<HostAnswered>().Select(f => f.Host.Info.Name).ToArray());

            var wire = File.ReadAllText(log);
            var queries = TcpdumpQuery().Matches(wire).Select(m => (At: double.Parse(m.Groups["t"].Value, CultureInfo.InvariantCulture), Ttl: int.Parse(m.Groups["ttl"].Value, CultureInfo.InvariantCulture))).ToList();
            Assert.True(queries.Select(q => q.Ttl).SequenceEqual([1, 2, 3]), $"TTLs on the wire: {string.Join(", ", queries.Select(q => q.Ttl))}{Environment.NewLine}{wire}");
            // One query every 2 s; the schedule does not drift, so a late timer shortens the next gap.
            var gaps = queries.Zip(queries.Skip(1), (a, b) => b.At - a.At).ToList();
            Assert.All(gaps, g => Assert.InRange(g, 1.5, 2.5));
            Assert.InRange(queries[^1].At - queries[0].At, 3.7, 4.3);
        }
        finally
        {
            if (Shell.Alive(tcpdump)) Shell.Run("kill", ["-KILL", tcpdump.ToString(CultureInfo.InvariantCulture)], check: false);
        }
    }

    [GeneratedRegex(@"^(?<t>\d+\.\d+) IP \(tos 0x[0-9a-f]+, ttl (?<ttl>\d+),", RegexOptions.Multiline)]
    private static partial Regex TcpdumpQuery();

    [Fact]
    public async Task Inventory_matches_what_ip_reports_and_the_netns_provider_lists_the_vms_with_their_macs()
    {
        foreach (var host in Session.Lab.Hosts)
        {
            var inventory = (await Session.ReplyAsync<HostDescribed>(host.Name, GetHostInfo.Instance)).Info;
            var ip = JsonNode.Parse(Session.Exec(host.Name, "ip", "-j", "addr", "show").Output)!.AsArray();
            var expected = ip.Where(l => l!["ifname"]!.GetValue<string>() != "lo").ToDictionary(l => l!["ifname"]!.GetValue<string>(), l => l!);
            var interfaces = inventory.Interfaces;
            Assert.Equal(expected.Keys.Order().ToArray(), interfaces.Select(i => i.Name).Order().ToArray());
            foreach (var i in interfaces)
            {
                var link = expected[i.Name];
                Assert.Equal(link["address"]!.GetValue<string>(), i.Mac?.ToString());
                Assert.Equal(link["mtu"]!.GetValue<int>(), i.Mtu);
                var inet = link["addr_info"]!.AsArray().FirstOrDefault(a => a!["family"]!.GetValue<string>() == "inet");
                Assert.Equal(inet?["local"]?.GetValue<string>(), i.IPv4);
                if (inet is not null) Assert.Equal(inet["prefixlen"]!.GetValue<int>(), i.PrefixLength);
            }
            var eth0 = interfaces.Single(i => i.Name == "eth0");
            Assert.Equal(host.Interfaces[0].Gateway!.ToString(), eth0.Gateway);

            // The netns provider: exactly this host's lab VMs, with the MAC their eth0 has inside the VM namespace.
            var vms = inventory.Vms;
            Assert.Equal(host.Vms.Select(v => v.Name).Order().ToArray(), vms.Select(v => v.Name).Order().ToArray());
            foreach (var vm in host.Vms)
            {
                var nic = vms.Single(v => v.Name == vm.Name).Nics.Single();
                var inside = JsonNode.Parse(Session.Exec(vm.Name, "ip", "-j", "link", "show", "eth0").Output)!.AsArray().Single()!;
                Assert.Equal(vm.Mac, nic.Mac);
                Assert.Equal(inside["address"]!.GetValue<string>(), nic.Mac.ToString());
                Assert.Equal(vm.Name, nic.HostInterface);
            }
        }

        // The topology manager's registry has them all (`vnet hosts`).
        var registry = (await Session.ReplyAsync<HostList>("h2", new GetHosts())).Hosts;
        Assert.Equal(["h1", "h2", "h3"], registry.Select(h => h.Info.Name).ToArray());
        Assert.All(registry, h => Assert.Equal(HostStatus.Up, h.Status));
        Assert.Equal(["vm1", "vm2", "vm3 vm4"], registry.Select(h => string.Join(' ', h.Info.Vms.Select(v => v.Name).Order())).ToArray());
    }

    [Fact]
    public async Task Garbage_on_the_discovery_port_is_counted_and_the_node_still_answers()
    {
        // From h2's namespace to h1's substrate address (inside the lab): three datagrams that are not discovery.
        foreach (var payload in new[] { "hello", "VNDS\u0001\u0001garbage", new string('x', 2000) })
            Session.Exec("h2", "bash", "-c", $"printf '%s' '{payload}' > /dev/udp/192.0.2.10/48600");
        await Session.WaitUntilAsync(async () =>
        {
            var stats = await Session.ReplyAsync<DiscoveryCounters>("h1", GetDiscoveryStats.Instance);
            return stats.Malformed.Values.Sum() >= 3;
        }, TimeSpan.FromSeconds(10), "the malformed datagrams counted");
        var (_, reply) = await Session.StreamAsync("h1", new SearchHosts(2, 1, 0.5));
        Assert.Equal("h2", Assert.IsType<SearchDone>(reply).Hosts.Single().Info.Name);
    }
}
