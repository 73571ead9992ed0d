using System.Collections.Immutable;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Topology.Lifecycle;

/// <summary>What the lifecycle of one link decided; the TopologyManager carries it out.</summary>
public abstract record LifecycleDecision
{
    /// <summary>
    /// Ask the first endpoint's host to negotiate and make <paramref name="Spec"/> (its
    /// <see cref="LinkSpec.Attempt"/> names this making); with <paramref name="DeleteFirst"/> every
    /// endpoint host first drops what it still has of the link.
    /// </summary>
    public sealed record StartNegotiation(LinkSpec Spec, bool DeleteFirst) : LifecycleDecision;

    /// <summary>Ask every endpoint host for its link table and answer with <see cref="LinkLifecycle.Checked"/>.</summary>
    public sealed record StartCheck(Guid Check, LinkSpec Spec) : LifecycleDecision;

    /// <summary>Answer the user waiting for the link: made when <paramref name="Failure"/> is null, else why not.</summary>
    public sealed record AnswerCreator(LinkState State, string? Failure) : LifecycleDecision;

    /// <summary>Tell every endpoint host to drop the link, without waiting for them.</summary>
    public sealed record TellHostsDelete(LinkSpec Spec) : LifecycleDecision;

    /// <summary>Ask every endpoint host to drop the link and answer with <see cref="LinkLifecycle.Removed"/>.</summary>
    public sealed record RemoveFromHosts(LinkSpec Spec) : LifecycleDecision;

    /// <summary>Replicate the intent (what was asked, where it was last made).</summary>
    public sealed record RecordIntent(DesiredLink Intent) : LifecycleDecision;

    /// <summary>The link runs again after it was lost, without a user asking.</summary>
    public sealed record Recovered(LinkSpec Spec) : LifecycleDecision;

    /// <summary>An attempt failed; the next one is not before <paramref name="At"/>.</summary>
    public sealed record RetryScheduled(DateTime At, TimeSpan Delay, string Reason) : LifecycleDecision;

    /// <summary>The link is gone: drop it from the registry and the replicated intent.</summary>
    public sealed record Forget : LifecycleDecision
    {
        /// <summary>The single instance.</summary>
        public static Forget Instance { get; } = new();
    }
}

/// <summary>
/// Where the VMs of a link would go now (computed by the manager's <see cref="Topology.Placement"/>
/// from the hosts it knows): the placed link, or the hosts awaited, or what else prevents it.
/// </summary>
/// <param name="Spec">The placed link (hosts, MACs, addresses), or null when it cannot be placed now.</param>
/// <param name="WaitingFor">Hosts of the link that are not in the cluster, or not settled yet.</param>
/// <param name="Problems">Why the link cannot be placed (empty when <paramref name="Spec"/> is set).</param>
public sealed record LinkPlacement(LinkSpec? Spec, ImmutableArray<string> WaitingFor, ImmutableArray<string> Problems);
