using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>What the four transports share: one batch socket, its TOS, its receive side, its lifetime.</summary>
public abstract class SocketTransport : ITransport
{
    private protected SocketTransport(BatchSocket socket) => Socket = socket;

    private protected BatchSocket Socket { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <inheritdoc/>
    public abstract int Overhead { get; }

    /// <inheritdoc/>
    public int PathMtu { get; protected init; }

    /// <inheritdoc/>
    public virtual int Send(PacketBatch batch) => Socket.Send(batch);

    /// <inheritdoc/>
    public int Receive(PacketBatch batch) => Socket.Receive(batch);

    /// <inheritdoc/>
    public int ReceiveFd => Socket.Fd;

    /// <inheritdoc/>
    public abstract ReadOnlySpan<byte> Payload(PacketBatch batch, int index);

    /// <inheritdoc/>
    public void SetTos(int tos) => Socket.SetInt(Libc.IPPROTO_IP, Libc.IP_TOS, tos, "IP_TOS");

    /// <inheritdoc/>
    public int CoalescedSegmentSize(PacketBatch batch, int index) => batch.CoalescedSegmentSize(index);

    /// <inheritdoc/>
    public uint Source(PacketBatch batch, int index) => batch.SourceAddress(index);

    /// <inheritdoc/>
    public virtual void Dispose() => Socket.Dispose();

    /// <summary>Runs <paramref name="setup"/> on a fresh socket; closes it when that fails.</summary>
    private protected static BatchSocket Prepared(BatchSocket socket, Action<BatchSocket> setup)
    {
        try
        {
            setup(socket);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>The two multipoint transports: unconnected sockets that send every capsule to the group.</summary>
public abstract unsafe class MulticastTransport : SocketTransport
{
    private protected Libc.SockAddrIn Destination;

    private protected MulticastTransport(BatchSocket socket, System.Net.IPAddress group, int port, MulticastMembers members) : base(socket)
    {
        Destination = Libc.SockAddr(group, port);
        Members = members;
    }

    /// <summary>The segment's other members (only their capsules are accepted).</summary>
    protected MulticastMembers Members { get; }

    /// <inheritdoc/>
    public override int Send(PacketBatch batch)
    {
        fixed (Libc.SockAddrIn* d = &Destination)
        {
            batch.SetDestination(d);
            return Socket.Send(batch);
        }
    }
}
