using VNet.Host.Daemon;

namespace VNet.Host;

/// <summary>
/// One binary, two roles: <c>vnetd</c> (the node daemon) and the <c>vnet</c> console client and
/// lab runner (every other verb).
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "vnetd")
        {
            // Help and version start nothing, so they need no restart with the daemon's environment.
            if (!args.Any(a => a is "--help" or "-h" or "-?" or "--version")) OptimizedRestart.EnsureDaemonEnvironment(args);
            return await VnetDaemon.RunAsync(args[1..]);
        }
        return await Cli.RunAsync(args);
    }
}
