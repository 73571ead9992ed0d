using VNet.Client;
using System.Collections.Immutable;
using VNet.Actors.Commands;

namespace VNet.Host.Experiments;

/// <summary>The reply to one console command of a step: exit code (0 = ok), what the node answered, and the error, if any.</summary>
public sealed record CommandReply(int Exit, string Reply, string? Error)
{
    /// <summary>True when the command succeeded.</summary>
    public bool Ok => Exit == 0;
}

/// <summary>One end of a link as <c>link stats</c> reports it: a host and direction with its counters.</summary>
public sealed record LinkCounters(string Host, string Direction, long Frames, long Bytes, long Drops);

/// <summary>A link's state at one moment: its status (null when the cluster does not know the link) and every reporting host's counters.</summary>
public sealed record LinkSample(string? Status, ImmutableArray<LinkCounters> Counters)
{
    /// <summary>The hosts whose counters were reported (a host that is down reports none).</summary>
    public int HostsReporting => Counters.Select(c => c.Host).Distinct().Count();
}

/// <summary>A link as the cluster shows it: its status, its ends (vm@host) and the VM MTU once every end runs.</summary>
public sealed record LinkShown(string Id, string Status, ImmutableArray<string> Ends, int? VmMtu);

/// <summary>
/// How the experiment runner talks to a node: runs a console command from its words and reads the
/// few things a run needs back. The one place that knows the console's protocol, so moving the
/// runner to another client is a change of one class (<see cref="ConsoleExperimentConsole"/>).
/// One instance serves one caller at a time; the runner opens one per concurrent user.
/// </summary>
public interface IExperimentConsole : IAsyncDisposable
{
    /// <summary>The palettes of the node (what its commands are checked against).</summary>
    ImmutableArray<PaletteDefinition> Palettes { get; }

    /// <summary>Runs a console command given as words (<c>link</c>, <c>set</c>, <c>--id</c>, <c>l1</c>, ...).</summary>
    Task<CommandReply> RunAsync(IReadOnlyList<string> words, CancellationToken cancel);

    /// <summary>Every link of the cluster.</summary>
    Task<ImmutableArray<LinkShown>> LinksAsync(CancellationToken cancel);

    /// <summary>One link's status and counters.</summary>
    Task<LinkSample> SampleAsync(string link, CancellationToken cancel);
}
