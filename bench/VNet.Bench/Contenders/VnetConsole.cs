using VNet.Client;
using VNet.Messages.Commands;

namespace VNet.Bench.Contenders;

/// <summary>The console requests the benchmark sends a VNet node — the same ones an operator types, typed.</summary>
public static class VnetConsole
{
    /// <summary>Sends one request to the node behind <paramref name="socket"/> and returns its reply.</summary>
    public static async Task<TReply> AskAsync<TReply>(string socket, IRequest<TReply> request, CancellationToken cancel) where TReply : ICommandReply
    {
        await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix(socket), TimeSpan.FromSeconds(5), cancel);
        return await vnet.AskAsync(request, cancel);
    }
}
