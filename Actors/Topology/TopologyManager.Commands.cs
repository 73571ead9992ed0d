using System.Collections.Immutable;
using Akka.Actor;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Topology;

/// <summary>
/// The console's requests the TopologyManager answers from what it holds: the hosts, the links
/// (as <see cref="LinkState"/>), the running network, loading a network file (checked against the
/// cluster first; what a failed load created is deleted again), and link option changes, applied
/// one after another on the link's current options.
/// </summary>
public sealed partial class TopologyManager
{
    /// <summary>Option changes waiting for the one in progress on the same link, by link id.</summary>
    private readonly Dictionary<string, Queue<(SetLinkOptions Set, IActorRef ReplyTo)>> _optionChanges = new(StringComparer.Ordinal);

    private static LinkRejected NoLink(string id) => new(id, [$"no link '{id}' (see `vnet link show`)"]);

    private void OnGetLinks(GetLinks get)
    {
        if (get.Id is { } id)
            Sender.Tell(StateOf(id) is { } state ? new LinkList([state]) : NoLink(id));
        else
            Sender.Tell(new LinkList([.. _links.Keys.Order(StringComparer.Ordinal).Select(k => StateOf(k)!)]));
    }

    private void OnGetHosts(GetHosts get)
    {
        var hosts = _hosts.Values.OrderBy(h => h.Info.Name, StringComparer.Ordinal).ToList();
        if (get.Host is not { } name)
            Sender.Tell(new HostList([.. hosts.Select(Entry)]));
        else if (_hosts.TryGetValue(name, out var host))
            Sender.Tell(new HostList([Entry(host)]));
        else
            Sender.Tell(new HostRejected(name, [$"no host '{name}' (known: {string.Join(", ", hosts.Select(h => h.Info.Name))})"]));
    }

    /// <summary>The running network: the links held and the VMs they join.</summary>
    private RunningNetwork Running()
    {
        var links = _links.Keys.Order(StringComparer.Ordinal).Select(id => StateOf(id)!.Link).ToList();
        var vms = links.SelectMany(l => l.Endpoints).GroupBy(e => e.Vm).Select(g => new NetworkVm(g.Key, g.First().Mac, g.First().Host));
        return new RunningNetwork(new NetworkDefinition("running", [.. vms.OrderBy(v => v.Name, StringComparer.Ordinal)],
            [.. links.Select(l => new NetworkLink(l.Id, l.Kind, [.. l.Endpoints.Select(e => e.Vm)], l.Options, l.Protocol))]));
    }

    // ------------------------------------------------------------------ link set

    private void OnSetOptionsRequest(SetLinkOptions set)
    {
        if (_optionChanges.TryGetValue(set.Id, out var waiting))
        {
            waiting.Enqueue((set, Sender));
            return;
        }
        _optionChanges[set.Id] = new Queue<(SetLinkOptions, IActorRef)>();
        OnSetOptions(set, Sender);
    }

    /// <summary>The change of link <paramref name="id"/> in progress is over: the next waiting one starts on the options it left.</summary>
    private void NextOptionChange(string id)
    {
        if (!_optionChanges.TryGetValue(id, out var waiting)) return;
        if (waiting.TryDequeue(out var next)) OnSetOptions(next.Set, next.ReplyTo);
        else _optionChanges.Remove(id);
    }

    // ------------------------------------------------------------------ net load

    private void OnApplyNetwork(ApplyNetwork apply)
    {
        var problems = CheckAgainstCluster(apply.Network, apply.Path);
        if (problems.Count > 0)
        {
            Sender.Tell(new NetworkRejected(apply.Path, [.. problems]));
            return;
        }
        if (apply.DryRun)
        {
            Sender.Tell(new NetworkLoaded(apply.Path, true, [], apply.Network.Links.Length));
            return;
        }
        // Each link through the manager's own create (placement, negotiation, replication), at most
        // LoadConcurrency at a time, from a task: the manager goes on answering while the links come
        // up. Negotiations of different links run in parallel on the hosts (each holds its numbers
        // reserved), so the load takes about links / concurrency times one creation.
        var self = Self;
        var replyTo = Sender;
        var timeout = _settings.CreateTimeout + _settings.HostAskTimeout + _settings.HostAskTimeout + TimeSpan.FromSeconds(5);
        var concurrency = Math.Max(1, _settings.LoadConcurrency);
        Load().PipeTo(replyTo);

        async Task<ILoadNetworkReply> Load()
        {
            var links = apply.Network.Links;
            var created = new LinkState?[links.Length];
            var reasons = new string?[links.Length];
            var failed = -1; // the first link that could not be created: its reason is the one reported
            var next = -1;
            async Task Worker()
            {
                while (Volatile.Read(ref failed) < 0)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= links.Length) return;
                    var link = links[i];
                    string reason;
                    try
                    {
                        var reply = await self.Ask<ICreateLinkReply>(new CreateLink(link.Id, link.Kind, link.Vms, link.Options) { PreferredProtocol = link.Protocol }, timeout);
                        if (reply is LinkCreated ok)
                        {
                            created[i] = ok.Link;
                            continue;
                        }
                        reason = string.Join("; ", ((LinkRejected)reply).Problems);
                    }
                    catch (AskTimeoutException)
                    {
                        reason = $"no answer within {timeout.TotalSeconds:0} s";
                    }
                    reasons[i] = reason;
                    Interlocked.CompareExchange(ref failed, i, -1);
                    return;
                }
            }
            await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, links.Length)).Select(_ => Worker()));
            var made = created.Where(c => c is not null).Select(c => c!).ToList();
            if (failed < 0) return new NetworkLoaded(apply.Path, false, [.. made], links.Length);
            await Task.WhenAll(made.Select(async done =>
            {
                try
                {
                    await self.Ask<IDeleteLinkReply>(new DeleteLink(done.Link.Id), timeout);
                }
                catch (AskTimeoutException)
                {
                    // The manager drops a deleted link at once; only its answer was late.
                }
            }));
            var first = links[failed];
            return new NetworkRejected(apply.Path, [new FileProblem(apply.Path, first.Line, first.Column,
                $"link {first.Id} could not be created: {reasons[failed]}; the {made.Count} link(s) this load had created were deleted again")]);
        }
    }

    /// <summary>What the file asks that the cluster cannot give: unknown hosts or VMs, MACs that differ, ids in use.</summary>
    private List<FileProblem> CheckAgainstCluster(NetworkDefinition network, string path)
    {
        var problems = new List<FileProblem>();
        var hosts = _hosts.Values.OrderBy(h => h.Info.Name, StringComparer.Ordinal).Select(h => h.Info).ToList();
        foreach (var vm in network.Vms)
        {
            if (vm.Host is not null && hosts.All(h => h.Name != vm.Host))
            {
                problems.Add(new FileProblem(path, vm.Line, vm.Column, $"VM {vm.Name} is pinned to unknown host '{vm.Host}' (hosts: {string.Join(", ", hosts.Select(h => h.Name))})"));
                continue;
            }
            var offering = hosts.Where(h => (vm.Host is null || h.Name == vm.Host) && h.Vm(vm.Name) is not null).ToList();
            if (offering.Count == 0)
            {
                problems.Add(new FileProblem(path, vm.Line, vm.Column, vm.Host is null ? $"unknown VM '{vm.Name}': no host in the cluster offers it" : $"unknown VM '{vm.Name}': host {vm.Host} does not offer it"));
                continue;
            }
            var macs = offering.SelectMany(h => h.Vm(vm.Name)!.Nics.Select(n => n.Mac)).ToImmutableHashSet();
            if (!macs.Contains(vm.Mac))
                problems.Add(new FileProblem(path, vm.Line, vm.Column, $"VM {vm.Name} has MAC {string.Join("/", macs)} in the cluster, the file says {vm.Mac}"));
        }
        foreach (var link in network.Links.Where(l => _links.ContainsKey(l.Id)))
            problems.Add(new FileProblem(path, link.Line, link.Column, $"link id '{link.Id}' is already in use (delete it first, or rename it in the file)"));
        return problems;
    }
}
