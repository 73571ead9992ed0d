namespace VNet.Actors.Observability;

/// <summary>How a negotiation of a protocol number ended on this host.</summary>
public enum NegotiationOutcome
{
    /// <summary>A number was agreed and the link starts.</summary>
    Agreed,
    /// <summary>No number was agreed (refused, out of rounds, timed out, aborted).</summary>
    Failed,
    /// <summary>The negotiation was stopped before it ended (its link deleted, or its actor died).</summary>
    Stopped,
}

/// <summary>
/// Told by the HostActor when one of its negotiations ends, so the node's metrics can count them.
/// Called on the actor's thread: an implementation only records and returns.
/// </summary>
public interface INegotiationObserver
{
    /// <summary>A negotiation ended.</summary>
    /// <param name="initiator">This host proposed (it is the link's first endpoint).</param>
    /// <param name="outcome">How it ended.</param>
    /// <param name="rounds">Proposal rounds the initiator ran; 0 on a responder, which does not count them.</param>
    /// <param name="duration">From the start of the negotiation on this host to its end.</param>
    void Ended(bool initiator, NegotiationOutcome outcome, int rounds, TimeSpan duration);
}
