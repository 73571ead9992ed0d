using VNet.Capture.Inventory;
using VNet.Capture.Ports;

namespace VNet.Capture.Tests.Ports;

public sealed class VmPortRulesTests
{
    [Fact]
    public void The_ruleset_drops_everything_at_ingress_of_the_port_and_replaces_an_earlier_table()
    {
        var text = VmPortRules.RenderIsolate("vnet3", new Dictionary<string, string> { ["net.ipv4.conf.vnet3.arp_ignore"] = "0" });
        Assert.Equal(
            "add table netdev vnet-port-vnet3\n" +
            "delete table netdev vnet-port-vnet3\n" +
            "table netdev vnet-port-vnet3 {\n" +
            "\tcomment \"vnet port vnet3 4arp_ignore=0\"\n" +
            "\tchain in {\n" +
            "\t\ttype filter hook ingress device \"vnet3\" priority 0; policy drop;\n" +
            "\t}\n" +
            "}\n", text);
        Assert.Equal("delete table netdev vnet-port-vnet3\n", VmPortRules.RenderRemove("vnet3"));
    }

    [Fact]
    public void Names_nft_does_not_take_get_a_hash_so_two_interfaces_never_share_a_table()
    {
        Assert.Equal("vnet-port-tap-1_a", VmPortRules.TableName("tap-1_a"));
        var dotted = VmPortRules.TableName("eth0.100");
        var colon = VmPortRules.TableName("eth0@100");
        Assert.StartsWith("vnet-port-eth0_100-", dotted);
        Assert.NotEqual(dotted, colon);
        Assert.Matches("^[A-Za-z0-9_-]+$", dotted);
    }

    [Theory]
    [InlineData("eth\"0", false)]
    [InlineData("a b", false)]
    [InlineData("x/y", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("", false)]
    [InlineData("vnet0", true)]
    [InlineData("eth0.100", true)]
    public void Only_names_safe_in_a_ruleset_and_a_sysctl_path_are_used(string name, bool usable) =>
        Assert.Equal(usable, VmPortRules.IsUsableName(name));

    [Fact]
    public void Sysctls_turn_off_arp_replies_ipv6_and_loose_reverse_path()
    {
        var s = VmPortRules.Sysctls("eth0.100").ToDictionary(x => x.Key, x => (x.Path, x.Value));
        Assert.Equal(("net/ipv4/conf/eth0.100/arp_ignore", "8"), s["net.ipv4.conf.eth0.100.arp_ignore"]);
        Assert.Equal(("net/ipv4/conf/eth0.100/rp_filter", "1"), s["net.ipv4.conf.eth0.100.rp_filter"]);
        Assert.Equal(("net/ipv6/conf/eth0.100/disable_ipv6", "1"), s["net.ipv6.conf.eth0.100.disable_ipv6"]);
    }

    [Fact]
    public void The_comment_records_the_previous_values_and_reads_back()
    {
        var previous = new Dictionary<string, string>
        {
            ["net.ipv4.conf.vm1.arp_ignore"] = "0",
            ["net.ipv4.conf.vm1.rp_filter"] = "2",
            ["net.ipv6.conf.vm1.disable_ipv6"] = "0",
        };
        var comment = VmPortRules.Comment("vm1", previous);
        Assert.Equal("vnet port vm1 4arp_ignore=0 4rp_filter=2 6disable_ipv6=0", comment);
        Assert.True(comment.Length < 128, "nft limits comments to 128 bytes");
        var parsed = VmPortRules.ParseComment(comment)!.Value;
        Assert.Equal("vm1", parsed.Interface);
        Assert.Equal(previous.OrderBy(p => p.Key), parsed.Values.Select(v => KeyValuePair.Create(v.Sysctl.Key, v.Previous)).OrderBy(p => p.Key));
        Assert.Null(VmPortRules.ParseComment("someone else's table"));
        Assert.Empty(VmPortRules.ParseComment("vnet port vm1 4arp_ignore=$(reboot)")!.Value.Values);
    }

    [Fact]
    public void Port_tables_are_found_in_nft_list_output_with_their_comments()
    {
        const string listing = """
            table netdev vnet-port-vm1 {
            	comment "vnet port vm1 4arp_ignore=0"
            	chain in {
            		type filter hook ingress device "vm1" priority filter; policy drop;
            	}
            }
            table netdev other {
            	chain x {
            	}
            }
            table netdev vnet-port-vm2 {
            	chain in {
            	}
            }
            """;
        var tables = VmPortRules.PortTables(listing);
        Assert.Equal([("vnet-port-vm1", "vnet port vm1 4arp_ignore=0"), ("vnet-port-vm2", (string?)null)], tables);
    }
}

public sealed class VmPortIsolationTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("vnet-procsys-").FullName;
    private readonly string _savedProc = VmPortIsolation.ProcSys;
    private readonly List<string> _nft = new();

    public VmPortIsolationTests()
    {
        VmPortIsolation.ProcSys = _proc;
        foreach (var (path, value) in new[] { ("net/ipv4/conf/tp0/arp_ignore", "0"), ("net/ipv4/conf/tp0/rp_filter", "2"), ("net/ipv6/conf/tp0/disable_ipv6", "0") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_proc, path))!);
            File.WriteAllText(Path.Combine(_proc, path), value + "\n");
        }
    }

    private string Read(string path) => File.ReadAllText(Path.Combine(_proc, path)).Trim();

    private ICommandRunner Runner(int exit = 0) => new DelegateCommandRunner((tool, args) =>
    {
        Assert.Equal("nft", tool);
        _nft.Add(string.Join(' ', args));
        return new CommandResult(exit, "", exit == 0 ? "" : "Error: no such file");
    });

    [Fact]
    public void Holding_installs_the_table_sets_the_sysctls_and_the_last_release_restores_them()
    {
        var runner = Runner();
        var first = VmPortIsolation.Hold("tp0", runner);
        var second = VmPortIsolation.Hold("tp0", runner);
        Assert.True(first.Isolated);
        Assert.Empty(first.Warnings);
        Assert.Single(_nft);
        Assert.Contains("comment \"vnet port tp0 4arp_ignore=0 4rp_filter=2 6disable_ipv6=0\"", _nft[0]);
        Assert.Equal("8", Read("net/ipv4/conf/tp0/arp_ignore"));
        Assert.Equal("1", Read("net/ipv4/conf/tp0/rp_filter"));
        Assert.Equal("1", Read("net/ipv6/conf/tp0/disable_ipv6"));

        first.Dispose();
        first.Dispose(); // once per hold
        Assert.Single(_nft);
        Assert.Equal("8", Read("net/ipv4/conf/tp0/arp_ignore"));

        second.Dispose();
        Assert.Equal("delete table netdev vnet-port-tp0\n", _nft[1]);
        Assert.Equal("0", Read("net/ipv4/conf/tp0/arp_ignore"));
        Assert.Equal("2", Read("net/ipv4/conf/tp0/rp_filter"));
        Assert.Equal("0", Read("net/ipv6/conf/tp0/disable_ipv6"));
    }

    [Fact]
    public void Without_nft_the_port_is_held_but_a_warning_says_it_is_not_isolated()
    {
        var missing = new DelegateCommandRunner((_, _) => throw new System.ComponentModel.Win32Exception(2));
        using var hold = VmPortIsolation.Hold("tp0", missing);
        Assert.False(hold.Isolated);
        Assert.Contains(hold.Warnings, w => w.Contains("tp0 is not isolated") && w.Contains("nftables"));
        Assert.Equal("8", Read("net/ipv4/conf/tp0/arp_ignore")); // the second line still stands
    }

    [Fact]
    public void Stale_tables_are_removed_at_start_with_the_values_their_comment_recorded()
    {
        File.WriteAllText(Path.Combine(_proc, "net/ipv4/conf/tp0/arp_ignore"), "8\n");
        var runner = new DelegateCommandRunner((_, args) =>
        {
            _nft.Add(string.Join(' ', args));
            return args[0] == "list"
                ? new CommandResult(0, "table netdev vnet-port-tp0 {\n\tcomment \"vnet port tp0 4arp_ignore=1\"\n}\n", "")
                : new CommandResult(0, "", "");
        });
        var done = VmPortIsolation.CleanStale(runner);
        Assert.Equal(["list ruleset netdev", "delete table netdev vnet-port-tp0\n"], _nft);
        Assert.Equal("1", Read("net/ipv4/conf/tp0/arp_ignore"));
        Assert.Contains(done, d => d.Contains("vnet-port-tp0"));
    }

    public void Dispose()
    {
        VmPortIsolation.ReleaseAll(new DelegateCommandRunner((_, _) => new CommandResult(0, "", "")));
        VmPortIsolation.ProcSys = _savedProc;
        Directory.Delete(_proc, recursive: true);
    }
}
