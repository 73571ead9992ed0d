using Akka.Configuration;

namespace VNet.Host.Daemon;

/// <summary>
/// The node's own state directory (<c>vnet.state-dir</c>): each node keeps its replica of the
/// desired network and the host registry there (Akka.DistributedData durable keys, a file per key under
/// <c>ddata/</c>), so the network outlives the loss of every node at once. One directory per node;
/// two nodes must never share one.
/// </summary>
public static class NodeState
{
    /// <summary>Where the durable replica lives inside the state directory.</summary>
    public const string DurableSubdirectory = "ddata";

    /// <summary>Creates the durable store's directory (owner-only) and returns the configuration that points the durable store at it.</summary>
    public static Config DurableConfig(string stateDirectory)
    {
        var dir = Path.Combine(stateDirectory, DurableSubdirectory);
        try
        {
            Directory.CreateDirectory(dir);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(stateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"vnet.state-dir '{stateDirectory}': cannot create {dir}: {e.Message}", e);
        }
        return ConfigurationFactory.ParseString($"akka.cluster.distributed-data.durable.dir = \"{dir.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
    }
}
