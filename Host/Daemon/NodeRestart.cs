using Akka.Actor;
using Akka.Configuration;

namespace VNet.Host.Daemon;

/// <summary>
/// What vnetd does when its actor system ends without being asked to stop. A node that was downed
/// (by the split-brain resolver on the side of a partition that loses, or by `cluster down`) does
/// not exit: its links went down with the old actor system, and a fresh one rejoins the cluster
/// once it can reach it, after which the topology manager makes the links again. A node that left
/// on request, or stopped for any other reason, exits.
/// </summary>
public static class NodeRestart
{
    /// <summary>Pause between the end of the old actor system and the start of the new one.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    /// <summary>True when the actor system ended because the cluster downed this node.</summary>
    public static bool ShouldRejoin(CoordinatedShutdown.Reason? reason) => reason is CoordinatedShutdown.ClusterDowningReason;

    /// <summary>The reason in words, for the log.</summary>
    public static string Describe(CoordinatedShutdown.Reason? reason) => reason switch
    {
        CoordinatedShutdown.ClusterDowningReason => "downed",
        CoordinatedShutdown.ClusterLeavingReason => "left",
        null => "no reason given",
        _ => reason.GetType().Name,
    };

    /// <summary>
    /// The configuration of a node that starts again after it was downed: the seed nodes without
    /// its own address. A first seed node joins itself when no other seed answers, which on the cut
    /// side of a partition would found a second cluster beside the running one that never merges.
    /// </summary>
    public static Config RejoinConfig(Config hocon)
    {
        var host = hocon.GetString("akka.remote.dot-netty.tcp.hostname", "");
        var port = hocon.GetInt("akka.remote.dot-netty.tcp.port", 4053);
        var seeds = hocon.GetStringList("akka.cluster.seed-nodes", []).Where(s => !IsSelf(s, host, port)).ToList();
        return ConfigurationFactory.ParseString($"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => $"\"{s}\""))}]");
    }

    /// <summary>True when the seed address <paramref name="seed"/> names this node (same host and port).</summary>
    public static bool IsSelf(string seed, string host, int port)
    {
        try
        {
            var address = Address.Parse(seed);
            return string.Equals(address.Host, host, StringComparison.OrdinalIgnoreCase) && address.Port == port;
        }
        catch (UriFormatException)
        {
            return false;
        }
    }
}
