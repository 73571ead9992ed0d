using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Capture.Forwarding;

/// <summary>
/// Everything one link needs on one host to move frames: the substrate transport (shared by both
/// directions) and a way to open the VM-side taps (re-opened when a worker restarts).
/// </summary>
public interface ILinkDataPlane : IDisposable
{
    /// <summary>The transport toward the peer(s).</summary>
    ITransport Transport { get; }

    /// <summary>Largest VM frame (Ethernet header included) carried without IP fragmentation.</summary>
    int MaxFrame { get; }

    /// <summary>The MTU the VM interfaces of this link should have (<see cref="MaxFrame"/> − 14).</summary>
    int VmMtu { get; }

    /// <summary>How long the forwarders keep polling after traffic before they sleep (µs; 0 = never spin).</summary>
    int SpinMicros => 0;

    /// <summary>The node's shared forwarder threads; null: each direction runs on a thread of its own.</summary>
    ForwarderPool? Pool => null;

    /// <summary>The link key, sender id, sequence and replay windows of this end (outlive worker restarts).</summary>
    LinkSecurity Security { get; }

    /// <summary>Notes for the operator found while setting up (e.g. offloads that could not be turned off).</summary>
    IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Takes the VM interface away from the host's own stack (an nftables ingress drop and sysctls,
    /// see <see cref="Ports.VmPortIsolation"/>) so that only the data plane sees what the VM sends.
    /// Called by the capture worker before it opens the capture; idempotent; returns what could not
    /// be done (empty when the port is isolated). Released when the data plane is disposed.
    /// </summary>
    IReadOnlyList<string> IsolatePort() => [];

    /// <summary>
    /// The VM interface vanished and is back under the same name (a new kernel interface): before
    /// the workers open their taps on it again, the port isolation is re-applied on the next
    /// <see cref="IsolatePort"/>, and when <paramref name="mtu"/> is given the interface gets that
    /// MTU again (the one it had while the link ran). The transport and the link's security state
    /// stay: the peers' replay windows know this end's sequence numbers. Returns what could not be done.
    /// </summary>
    IReadOnlyList<string> Reattach(int? mtu) => [];

    /// <summary>Opens the capture of the frames the local VM sends.</summary>
    IFrameTap OpenCapture();

    /// <summary>Opens the handle that injects frames toward the local VM.</summary>
    IFrameTap OpenInjector();
}

/// <summary>Creates the data plane of a link on this host; tests substitute in-memory ones.</summary>
public interface IDataPlaneFactory
{
    /// <summary>Tells links when their VM interface vanishes and comes back; null: not watched (a vanished interface fails the link after its restarts).</summary>
    Interfaces.IInterfaceMonitor? Interfaces => null;

    /// <summary>Creates the data plane of <paramref name="link"/> for its endpoint <paramref name="local"/>.</summary>
    ILinkDataPlane Create(LinkSpec link, LinkEndpoint local);

    /// <summary>Creates (not yet started) the kernel end of a kernel-kind <paramref name="link"/> for its endpoint <paramref name="local"/>.</summary>
    Kernel.IKernelLink CreateKernel(LinkSpec link, LinkEndpoint local) =>
        throw new NotSupportedException($"link {link.Id}: this data plane has no kernel links");
}
