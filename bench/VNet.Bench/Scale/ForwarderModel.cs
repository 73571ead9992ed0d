namespace VNet.Bench.Scale;

/// <summary>
/// The two ways a vnetd runs its data plane, chosen by <c>vnet.data-plane.forwarder-threads</c>:
/// the shared pool of epoll threads (the default) or the older thread per direction of each link.
/// </summary>
public enum ForwarderModel
{
    /// <summary><c>forwarder-threads = auto</c>: links share one epoll thread per CPU.</summary>
    Pool,

    /// <summary><c>forwarder-threads = 0</c>: every link end has its own forwarder threads.</summary>
    PerLink,
}

/// <summary>Names and configuration of <see cref="ForwarderModel"/>.</summary>
public static class ForwarderModels
{
    /// <summary>The name in tables and plots.</summary>
    public static string Name(this ForwarderModel model) => model == ForwarderModel.Pool ? "pool (auto)" : "per link (0)";

    /// <summary>The HOCON line that selects the model.</summary>
    public static string Config(this ForwarderModel model) => $"vnet.data-plane.forwarder-threads = {(model == ForwarderModel.Pool ? "auto" : "0")}\n";

    /// <summary>A letter for lab ids.</summary>
    public static char Tag(this ForwarderModel model) => model == ForwarderModel.Pool ? 'p' : 'o';
}
