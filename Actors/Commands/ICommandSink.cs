using VNet.Client;

namespace VNet.Actors.Commands;

/// <summary>Where a running command writes its output blocks.</summary>
public interface ICommandSink
{
    /// <summary>Sends one block to the client now (commands stream).</summary>
    Task EmitAsync(ConsoleLine line);
}
