using System.Threading.Channels;
using Akka.Actor;
using VNet.Capture.Taps;
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

    /// <summary>
    /// <c>link capture</c>: asks each captured end's host to stream its frames, and joins the streams
    /// into one pcap stream of whole records (one file header), end by end as the records arrive.
    /// Cancelling stops the collectors, and each host's capture stops when its collector is gone.
    /// </summary>
    public async Task<ICommandReply> CaptureAsync(CaptureLink request, Func<ICommandItem, Task> emit, CancellationToken cancel)
    {
        if (request.Seconds is { } s && !(s >= 0.1 && s <= CaptureLink.MaxSeconds))
            return new LinkRejected(request.Id, [$"capture of link {request.Id}: {s} s is out of range 0.1-{CaptureLink.MaxSeconds}"]);
        if (request.MaxBytes is <= 0) return new LinkRejected(request.Id, [$"capture of link {request.Id}: the size limit must be positive"]);
        var shown = await dispatcher.AskAsync(new GetLinks(request.Id), cancel);
        if (shown is not LinkList { Links: [var state] }) return shown as LinkRejected ?? new LinkRejected(request.Id, [$"no link '{request.Id}'"]);
        var link = state.Link;
        var ends = link.Endpoints.Select(e => e.Host).Distinct(StringComparer.Ordinal).ToList();
        var hostNames = request.AllEnds ? ends : [request.Host ?? ends[0]];
        if (hostNames.FirstOrDefault(h => link.EndpointOn(h) is null) is { } stranger)
            return new LinkRejected(link.Id, [$"link {link.Id} has no end on host '{stranger}' (ends: {string.Join(", ", ends)})"]);
        var up = (await Hosts()).Where(h => h.Up).ToDictionary(h => h.Info.Name, StringComparer.Ordinal);
        if (hostNames.Where(h => !up.ContainsKey(h)).ToList() is [_, ..] down)
            return new LinkRejected(link.Id, [$"capture of link {link.Id}: host {string.Join(", ", down)} is not up"]);

        var channel = Channel.CreateUnbounded<(string Host, object Item)>();
        var collectors = hostNames.Select(h => context.System.ActorOf(Props.Create(() => new CaptureCollector(h, channel.Writer)))).ToList();
        var started = DateTime.UtcNow;
        var streams = hostNames.ToDictionary(h => h, _ => new PcapRecordStream(), StringComparer.Ordinal);
        var running = hostNames.ToHashSet(StringComparer.Ordinal);
        long frames = 0, bytes = 0;
        var truncated = false;
        try
        {
            foreach (var (host, collector) in hostNames.Zip(collectors))
                context.HostActor(up[host].Info).Tell(new LinkProtocol.StartCapture(link.Id, request.Seconds, request.Filter, request.MaxBytes), collector);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            // A timed capture that outlasts its time by far has lost its host; an open-ended one ends
            // when it is cancelled or its host goes away (the collectors watch the hosts' captures).
            if (request.Seconds is { } seconds) timeout.CancelAfter(TimeSpan.FromSeconds(seconds + 15));
            await foreach (var (host, item) in channel.Reader.ReadAllAsync(timeout.Token))
            {
                switch (item)
                {
                    case LinkProtocol.CaptureChunk chunk:
                        byte[] records;
                        try
                        {
                            records = streams[host].Append(chunk.Data);
                        }
                        catch (InvalidDataException e)
                        {
                            return new LinkRejected(link.Id, [$"capture of link {link.Id} on {host}: the host sent a stream that is not pcap ({e.Message})"]);
                        }
                        if (records.Length == 0 && bytes > 0) break;
                        // The first piece carries the one file header of the joined stream.
                        var data = bytes == 0 ? [.. PcapRecords.FileHeader(), .. records] : records;
                        bytes += data.Length;
                        await emit(new CaptureData(host, data));
                        break;
                    case LinkProtocol.CaptureEnded ended when ended.Error is not null:
                        return new LinkRejected(link.Id, [$"capture of link {link.Id} on {host} failed: {ended.Error}"]);
                    case LinkProtocol.CaptureEnded ended:
                        frames += ended.Frames;
                        truncated |= ended.Truncated;
                        running.Remove(host);
                        if (running.Count == 0)
                            return new LinkCaptured(link.Id, [.. hostNames], Math.Round((DateTime.UtcNow - started).TotalSeconds, 1), frames, bytes, truncated);
                        break;
                    case CaptureCollector.HostLost:
                        return new LinkRejected(link.Id, [$"capture of link {link.Id}: host {host} went away during the capture"]);
                }
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var collector in collectors) context.System.Stop(collector);
        }
        cancel.ThrowIfCancellationRequested();
        return new LinkRejected(link.Id, [$"capture of link {link.Id} on {string.Join(", ", running)}: no answer from the host"]);
    }

    /// <summary>
    /// Receives one host's capture stream for the request's task. It watches the host's capture (the
    /// sender of what arrives), so a host that goes away ends the capture, and its own stop is what
    /// stops the host's capture.
    /// </summary>
    private sealed class CaptureCollector : ReceiveActor
    {
        /// <summary>The host's capture terminated without saying it ended.</summary>
        public sealed record HostLost
        {
            public static HostLost Instance { get; } = new();
        }

        public CaptureCollector(string host, ChannelWriter<(string, object)> writer)
        {
            var watching = false;
            void Watch()
            {
                if (watching || Sender.IsNobody()) return;
                Context.Watch(Sender);
                watching = true;
            }
            Receive<LinkProtocol.CaptureChunk>(c =>
            {
                Watch();
                writer.TryWrite((host, c));
            });
            Receive<LinkProtocol.CaptureEnded>(e =>
            {
                if (watching) Context.Unwatch(Sender);
                watching = false;
                writer.TryWrite((host, e));
            });
            Receive<Terminated>(_ => writer.TryWrite((host, HostLost.Instance)));
        }
    }
}
