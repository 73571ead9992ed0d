using System.Threading.Channels;
using Akka.Actor;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>
/// The link requests answered from the hosts' own tables: counters (<c>link stats</c>) and frames
/// (<c>link capture</c>). Which links exist and where they run comes from the topology manager.
/// </summary>
internal sealed class LinkRequests(CommandContext context, CommandDispatcher dispatcher)
{
    public async Task<ICommandReply> StatsAsync(GetLinkStats request)
    {
        if (await dispatcher.AskAsync(new GetLinks(request.Id)) is not LinkList links) return await Rejected(request.Id);
        var ids = links.Links.Select(l => l.Link.Id).ToHashSet(StringComparer.Ordinal);
        var tables = await context.HostTablesAsync(await Hosts());
        return new LinkStats([.. tables.SelectMany(t => t.Rows.Where(row => ids.Contains(row.Link.Id)).SelectMany(row => new[]
            {
                new LinkDirectionStats(row.Link.Id, t.Host, "vm->net", row.ToSubstrate),
                new LinkDirectionStats(row.Link.Id, t.Host, "net->vm", row.ToVm),
            }))
            .OrderBy(v => v.Link, StringComparer.Ordinal).ThenBy(v => v.Host, StringComparer.Ordinal)]);
    }

    private async Task<ICommandReply> Rejected(string? id) => await dispatcher.AskAsync(new GetLinks(id));

    private async Task<IEnumerable<HostEntry>> Hosts() =>
        await dispatcher.AskAsync(new GetHosts()) is HostList list ? list.Hosts : [];

    public async Task<ICommandReply> CaptureAsync(CaptureLink request, Func<ICommandItem, Task> emit, CancellationToken cancel)
    {
        if (!(request.Seconds >= 0.1 && request.Seconds <= 3600)) return new LinkRejected(request.Id, [$"capture of link {request.Id}: {request.Seconds} s is out of range 0.1-3600"]);
        if (request.MaxBytes <= 0) return new LinkRejected(request.Id, [$"capture of link {request.Id}: the size limit must be positive"]);
        var shown = await dispatcher.AskAsync(new GetLinks(request.Id));
        if (shown is not LinkList { Links: [var state] }) return shown as LinkRejected ?? new LinkRejected(request.Id, [$"no link '{request.Id}'"]);
        var link = state.Link;
        var hostName = request.Host ?? link.Endpoints[0].Host;
        if (link.EndpointOn(hostName) is null)
            return new LinkRejected(link.Id, [$"link {link.Id} has no end on host '{hostName}' (ends: {string.Join(", ", link.Endpoints.Select(e => e.Host))})"]);
        var host = (await Hosts()).FirstOrDefault(h => h.Info.Name == hostName && h.Up);
        if (host is null) return new LinkRejected(link.Id, [$"host {hostName} is not up"]);
        var channel = Channel.CreateUnbounded<object>();
        var collector = context.System.ActorOf(Props.Create(() => new CaptureCollector(channel.Writer)));
        try
        {
            context.HostActor(host.Info).Tell(new LinkProtocol.StartCapture(link.Id, request.Seconds, request.Filter, request.MaxBytes), collector);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(request.Seconds + 15));
            await foreach (var item in channel.Reader.ReadAllAsync(timeout.Token))
            {
                switch (item)
                {
                    case LinkProtocol.CaptureChunk chunk:
                        await emit(new CaptureData(chunk.Data));
                        break;
                    case LinkProtocol.CaptureEnded ended when ended.Error is not null:
                        return new LinkRejected(link.Id, [$"capture of link {link.Id} on {hostName} failed: {ended.Error}"]);
                    case LinkProtocol.CaptureEnded ended:
                        return new LinkCaptured(link.Id, hostName, request.Seconds, ended.Frames, ended.Bytes, ended.Truncated);
                }
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
        }
        finally
        {
            context.System.Stop(collector);
        }
        cancel.ThrowIfCancellationRequested();
        return new LinkRejected(link.Id, [$"capture of link {link.Id} on {hostName}: no answer from the host"]);
    }

    private sealed class CaptureCollector : ReceiveActor
    {
        public CaptureCollector(ChannelWriter<object> writer)
        {
            Receive<LinkProtocol.CaptureChunk>(c => writer.TryWrite(c));
            Receive<LinkProtocol.CaptureEnded>(e => writer.TryWrite(e));
        }
    }
}
