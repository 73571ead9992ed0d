namespace VNet.Capture.Interfaces;

/// <summary>
/// Tells a link when its VM interface disappears and comes back. The kernel one listens to
/// rtnetlink link events (<see cref="NetlinkLinkWatcher"/>); tests substitute their own.
/// </summary>
public interface IInterfaceMonitor
{
    /// <summary>
    /// Follows <paramref name="name"/>: <paramref name="onChange"/> is called with its state (null: absent)
    /// once it is known, then at every change, on a thread of the watch; <paramref name="onFailure"/>
    /// when the watch itself broke. Disposing the result ends the watch.
    /// </summary>
    IDisposable Watch(string name, Action<InterfaceState?> onChange, Action<Exception> onFailure);

    /// <summary>True when an interface of that name exists now (a cheap check when a worker failed).</summary>
    bool Exists(string name);
}

/// <summary>The host's own interfaces, watched with netlink.</summary>
public sealed class NetlinkInterfaceMonitor : IInterfaceMonitor
{
    /// <summary>The single instance.</summary>
    public static NetlinkInterfaceMonitor Instance { get; } = new();

    /// <inheritdoc/>
    public IDisposable Watch(string name, Action<InterfaceState?> onChange, Action<Exception> onFailure) => NetlinkLinkWatcher.Shared.Add(name, onChange, onFailure);

    /// <inheritdoc/>
    public bool Exists(string name) => Native.Libc.if_nametoindex(name) != 0;
}
