using System.Collections.Immutable;
using System.Threading.Channels;
using Akka.Actor;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;
using static VNet.Messages.DiscoveryProtocol;

namespace VNet.Actors.Commands;

/// <summary>The discovery requests, answered by this node's discovery actor: a search from here, and its counters.</summary>
internal sealed class DiscoveryRequests(CommandContext context, IActorRef discovery)
{
    public async Task<ICommandReply> SearchAsync(SearchHosts request, Func<ICommandItem, Task> emit, CancellationToken cancel)
    {
        HostInfo? self = null;
        try
        {
            self = await context.Host.Ask<HostInfo>(Hosts.HostActor.GetInfo.Instance, TimeSpan.FromSeconds(10), cancel);
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidCastException)
        {
            // The search runs without this host's own row.
        }

        var events = Channel.CreateUnbounded<object>();
        var listener = context.System.ActorOf(Props.Create(() => new EventForwarder(events.Writer)));
        Guid? id = null;
        var queries = new List<QueryWent>();
        try
        {
            discovery.Tell(new Search(request.TtlMax, request.Want) { Step = request.StepSeconds is { } s ? TimeSpan.FromSeconds(s) : null }, listener);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            bound.CancelAfter(TimeSpan.FromSeconds(30)); // until the actor says how long the search can last
            await foreach (var e in events.Reader.ReadAllAsync(bound.Token))
            {
                switch (e)
                {
                    case SearchStarted started:
                        id = started.SearchId;
                        bound.CancelAfter(started.Step * started.TtlMax + TimeSpan.FromSeconds(30));
                        await emit(new SearchBegan(context.NodeName, started.TtlMax, started.Want, started.Step.TotalSeconds, self));
                        break;
                    case QuerySent q:
                        var query = new QueryWent(q.Ttl, q.Elapsed.TotalSeconds);
                        queries.Add(query);
                        await emit(query);
                        break;
                    case HostFound { First: true } f:
                        await emit(new HostAnswered(Found(f.Host)));
                        break;
                    case SearchFinished done:
                        return new SearchDone(done.Reason, done.LastTtl, done.Elapsed.TotalSeconds, [.. queries], self, [.. done.Hosts.Select(Found)]);
                    case Status.Failure failure:
                        return new SearchRefused([failure.Cause.Message]);
                }
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
        }
        finally
        {
            if (id is { } searchId) discovery.Tell(new CancelSearch(searchId));
            context.System.Stop(listener);
        }
        cancel.ThrowIfCancellationRequested();
        return new SearchRefused(["the discovery actor did not finish the search in time"]);
    }

    private static FoundEntry Found(FoundHost h) => new(h.Info, h.Ttl, h.Elapsed.TotalSeconds, h.State);

    public async Task<ICommandReply> StatsAsync()
    {
        if (await context.AskAsync(discovery, GetStats.Instance, "discovery") is not Stats s) throw new CommandException("unexpected answer from the discovery actor");
        return new DiscoveryCounters(context.NodeName, s.Group, s.Port, s.Interfaces, s.Received, s.Queries, s.Answers, s.AnswersSent, s.RateLimited, s.Unsolicited, s.Malformed);
    }

    private sealed class EventForwarder : ReceiveActor
    {
        public EventForwarder(ChannelWriter<object> writer) => ReceiveAny(m => writer.TryWrite(m));
    }
}
