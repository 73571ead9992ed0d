namespace VNet.Actors.Links;

/// <summary>
/// How long a link tries to recover on its own before it reports Failed (from <c>vnet.host</c>):
/// a worker that fails for any reason but a vanished VM interface is restarted with back-off, at
/// most <see cref="MaxRestarts"/> times within <see cref="RestartWindow"/>; a link whose VM interface
/// vanished waits for it at most <see cref="InterfaceWait"/>.
/// </summary>
public sealed record LinkRecovery(TimeSpan InterfaceWait, int MaxRestarts, TimeSpan RestartWindow)
{
    /// <summary>5 minutes for the interface; 10 restarts a minute.</summary>
    public static LinkRecovery Default { get; } = new(TimeSpan.FromMinutes(5), 10, TimeSpan.FromMinutes(1));
}
