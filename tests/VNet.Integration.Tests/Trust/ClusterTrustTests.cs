using System.Net;
using System.Text.Json.Nodes;
using VNet.Host.Labs;
using VNet.Host.Trust;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Trust;

/// <summary>
/// Who a lab's nodes obey, tried as a hostile machine on the substrate would: a vnetd without a
/// certificate of the lab's authority (one of its own, or none) cannot join or command the
/// cluster, and the TCP console off loopback answers only TLS clients holding such a certificate.
/// One lab serves every attack; everything the test starts is stopped in finally.
/// </summary>
public sealed class ClusterTrustTests
{
    [Fact]
    public async Task Foreign_nodes_cannot_join_and_the_remote_console_needs_a_certificate_of_the_cluster()
    {
        // The console also listens on each host's substrate address (TLS, client certificate required).
        await using var session = await LabSession.UpAsync("two-hosts", new LabOptions { CreateLinks = false, ExtraConfig = "vnet.console.bind = \"\"" });
        var h1 = session.State.Hosts.First(h => h.Name == "h1");
        var h2 = session.State.Hosts.First(h => h.Name == "h2");
        var dir = Directory.CreateTempSubdirectory("vnet-rogue-").FullName;
        var rogues = new List<int>();
        try
        {
            // Rogue 1: a certificate from an authority of its own. Rogue 2: no TLS at all.
            var roguePki = Path.Combine(dir, "pki");
            ClusterPki.Init(roguePki, "rogue");
            ClusterPki.Issue(roguePki, "rogue", [IPAddress.Parse(h2.Address)]);
            rogues.Add(StartRogue(session, h2, dir, "rogue", 4054, $"vnet.trust.dir = \"{roguePki}\"", $"akka.ssl.tcp://vnet@{h1.Address}:{LabRunner.ClusterPort}"));
            rogues.Add(StartRogue(session, h2, dir, "plain", 4055, "vnet.trust.mode = off", $"akka.tcp://vnet@{h1.Address}:{LabRunner.ClusterPort}"));

            // Both rogues try for 15 s (an Up member took 6 s before TLS); neither becomes a member.
            await Task.Delay(TimeSpan.FromSeconds(15));
            var members = (await session.ReplyAsync<MemberList>("h1", GetMembers.Instance)).Members;
            Assert.Equal(["h1", "h2"], members.Select(m => m.Host ?? "?").Order().ToArray());
            Assert.All(members, m => Assert.Contains(":4053", m.Address));
            var logs = string.Join("\n", session.State.Processes.Select(p => File.ReadAllText(p.Log)));
            Assert.Contains("refused TLS peer", logs);
            Assert.Contains("TLS handshake failed", File.ReadAllText(Path.Combine(dir, "rogue.log")));

            // Remote console: the lab's own certificate works...
            var labPki = LabRunner.PkiDirectory(session.State.Directory);
            var ok = Client(session, "h2", h1.Address, labPki, "h2");
            Assert.True(ok.Exit == 0, ok.Output + ok.Error);
            Assert.Contains("cluster of 2 member(s)", ok.Output);
            // ...a certificate of another authority does not...
            var foreign = Client(session, "h2", h1.Address, roguePki, "rogue");
            Assert.NotEqual(0, foreign.Exit);
            Assert.DoesNotContain("member(s)", foreign.Output);
            // ...and a plain TCP client gets nothing but a closed connection, not even the greeting.
            var plain = session.Exec("h2", "timeout", "5", "bash", "-c",
                $"exec 3<>/dev/tcp/{h1.Address}/9110; printf '%s\\n' '{{\"t\":\"run\",\"request\":{{\"palette\":\"cluster\",\"command\":\"show\"}}}}' >&3; cat <&3");
            Assert.DoesNotContain("palettes", plain.Output);
            Assert.DoesNotContain("member", plain.Output);
            Assert.Contains("console refused", File.ReadAllText(session.State.Processes.First(p => p.Name == "vnetd-h1").Log));
        }
        finally
        {
            foreach (var pid in rogues)
                if (Shell.Alive(pid)) Shell.Run("kill", ["-9", pid.ToString()], check: false);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A vnetd on the substrate that was not given the lab's certificate, trying to join h1.</summary>
    private static int StartRogue(LabSession session, LabHostState at, string dir, string name, int port, string trust, string seed)
    {
        var config = Path.Combine(dir, name + ".hocon");
        File.WriteAllText(config, $"""
            akka.remote.dot-netty.tcp.hostname = "{at.Address}"
            akka.remote.dot-netty.tcp.port = {port}
            akka.cluster.seed-nodes = ["{seed}"]
            vnet.host.name = "{name}"
            vnet.host.address = "{at.Address}"
            vnet.discovery.enabled = off
            vnet.console.port = -1
            vnet.console.unix-socket = "{Path.Combine(dir, name + ".sock")}"
            {trust}
            """);
        return Shell.StartDetached(at.Netns, [.. LabRunner.DaemonCommand(), "vnetd", "--config", config], Path.Combine(dir, name + ".log"));
    }

    /// <summary>The vnet client run inside a lab namespace against a node's TCP console.</summary>
    private static Shell.Result Client(LabSession session, string from, string address, string pki, string cert) =>
        session.Exec(from, [.. LabRunner.DaemonCommand(), "-H", $"{address}:9110", "--pki", pki, "--cert", cert, "cluster", "show"]);
}
