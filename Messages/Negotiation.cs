namespace VNet.Messages;

/// <summary>
/// The OK/NOK protocol-number negotiation between the initiator's host and the remote endpoint's
/// host. Proposals are published on <see cref="Topic"/>; hosts that
/// own neither endpoint ignore them. Replies go straight back to the sender.
/// </summary>
public static class NegotiationProtocol
{
    /// <summary>The DistributedPubSub topic that plays a multicast group.</summary>
    public const string Topic = "vnet.negotiation";

    /// <summary>
    /// The initiator proposes <see cref="Protocol"/> for <see cref="Link"/> (which carries the whole
    /// link description, including the initiator's UDP port where the kind needs one).
    /// </summary>
    public sealed record Propose(Guid NegotiationId, LinkSpec Link, int Protocol, int Round) : INegotiationMessage;

    /// <summary>An answer to a proposal of a given round.</summary>
    public interface INegotiationReply : INegotiationMessage
    {
        /// <summary>The round answered.</summary>
        int Round { get; }
    }

    /// <summary>The responder accepts: <see cref="Protocol"/> is final; <see cref="Link"/> carries its port.</summary>
    public sealed record Ok(Guid NegotiationId, string Responder, int Protocol, int Round, LinkSpec Link) : INegotiationReply;

    /// <summary>The proposed number is taken at the responder; <see cref="CounterProposal"/> is free there.</summary>
    public sealed record Nok(Guid NegotiationId, string Responder, int CounterProposal, int Round, LinkSpec Link) : INegotiationReply;

    /// <summary>
    /// The initiator confirms after OK that it has created its end. Without it the responder
    /// removes its end when the reservation expires, so nothing stays half-made if the initiator
    /// vanished after OK (an addition to the OK/NOK pair).
    /// </summary>
    public sealed record Confirm(Guid NegotiationId, int Protocol) : INegotiationMessage;

    /// <summary>Either side gives up (timeout, exhaustion, validation); the other releases everything.</summary>
    public sealed record Abort(Guid NegotiationId, string Reason) : INegotiationMessage;

    /// <summary>The responder cannot take part at all (e.g. no free number, unknown VM).</summary>
    public sealed record Refuse(Guid NegotiationId, string Responder, string Reason) : INegotiationMessage;
}
