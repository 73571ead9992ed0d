using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using VNet.Messages;

namespace VNet.Actors.Discovery;

/// <summary>A discovery query: sent to the multicast group with IP TTL <see cref="Ttl"/> (docs/discovery.md).</summary>
/// <param name="QueryId">The search's id; answers carry it back.</param>
/// <param name="Ttl">The IP TTL the query was sent with (1-255).</param>
/// <param name="State">Where the querier stands in the cluster.</param>
/// <param name="Host">The querier's host name.</param>
/// <param name="NodeAddress">The querier's Akka address (empty when unknown).</param>
/// <param name="BootstrapSeed">The seed the querier chose while bootstrapping, or null.</param>
public sealed record DiscoveryQuery(Guid QueryId, int Ttl, MemberState State, string Host, string NodeAddress, string? BootstrapSeed);

/// <summary>A discovery answer: sent unicast back to the querier's address and port.</summary>
/// <param name="QueryId">The id of the query answered.</param>
/// <param name="Ttl">The TTL of the query answered (the querier learns how far the host is).</param>
/// <param name="State">Where the answering node stands in the cluster.</param>
/// <param name="Host">What the host tells about itself, with <see cref="HostInfo.NodeAddress"/>.</param>
/// <param name="BootstrapSeed">The seed the answering node chose while bootstrapping, or null.</param>
/// <param name="Truncated">The VM list was cut to fit the datagram.</param>
public sealed record DiscoveryAnswer(Guid QueryId, int Ttl, MemberState State, HostInfo Host, string? BootstrapSeed, bool Truncated = false);

/// <summary>
/// The discovery datagram codec, pure (no sockets, no clocks). The format is documented byte by
/// byte in docs/discovery.md: a 28-byte header (magic "VNDS", version, kind, flags, member state,
/// TTL, reserved, body length, query id) and a body of length-prefixed fields, big-endian.
/// Decoding checks every length, count, range and string, and never throws: a malformed datagram
/// gives false and the name of what was wrong, which the DiscoveryActor counts.
/// </summary>
public static class DiscoveryDatagram
{
    /// <summary>"VNDS".</summary>
    public static ReadOnlySpan<byte> Magic => "VNDS"u8;

    /// <summary>The only version this code speaks.</summary>
    public const byte Version = 1;

    /// <summary>Bytes before the body.</summary>
    public const int HeaderLength = 28;

    /// <summary>Largest datagram sent or accepted (fits a UDP datagram over IPv4, fragmented when needed).</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>Most interfaces an answer carries.</summary>
    public const int MaxInterfaces = 64;

    /// <summary>Most VMs an answer carries.</summary>
    public const int MaxVms = 512;

    /// <summary>Most NICs per VM.</summary>
    public const int MaxNics = 16;

    /// <summary>Kind byte of a query.</summary>
    public const byte KindQuery = 1;

    /// <summary>Kind byte of an answer.</summary>
    public const byte KindAnswer = 2;

    /// <summary>Flag bit: the answer's VM list was truncated to fit <see cref="MaxLength"/>.</summary>
    public const byte FlagTruncated = 0x01;

    private const byte InterfaceHasMac = 0x01, InterfaceHasGateway = 0x02, InterfaceHasGatewayMac = 0x04;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // ------------------------------------------------------------------ encoding

    /// <summary>Encodes a query.</summary>
    /// <exception cref="ArgumentException">A field is out of range (the message says which).</exception>
    public static byte[] Encode(DiscoveryQuery query)
    {
        CheckTtl(query.Ttl);
        CheckNames(query.Host, query.NodeAddress, query.BootstrapSeed);
        var w = new Writer();
        w.Header(KindQuery, 0, query.State, query.Ttl, query.QueryId);
        w.String(query.Host, "host");
        w.String(query.NodeAddress, "node address");
        w.String(query.BootstrapSeed ?? "", "bootstrap seed");
        return w.Finish();
    }

    /// <summary>
    /// Encodes an answer. When the host offers more VMs than fit in <see cref="MaxLength"/> (or
    /// <see cref="MaxVms"/>), the list is cut and the truncated flag set.
    /// </summary>
    /// <exception cref="ArgumentException">A field is out of range (the message says which).</exception>
    public static byte[] Encode(DiscoveryAnswer answer)
    {
        CheckTtl(answer.Ttl);
        var host = answer.Host;
        CheckNames(host.Name, host.NodeAddress ?? "", answer.BootstrapSeed);
        foreach (var i in host.Interfaces.IsDefault ? [] : host.Interfaces)
            if (!IsInterfaceName(i.Name)) throw new ArgumentException($"interface name '{i.Name}' is not one peers accept");
        var vms = host.Vms.IsDefault ? [] : host.Vms;
        var truncated = answer.Truncated || vms.Length > MaxVms;
        if (vms.Length > MaxVms) vms = vms[..MaxVms];
        while (true)
        {
            var w = new Writer();
            w.Header(KindAnswer, truncated ? FlagTruncated : (byte)0, answer.State, answer.Ttl, answer.QueryId);
            w.String(host.Name, "host");
            w.IPv4(host.SubstrateAddress, "substrate address");
            w.String(host.NodeAddress ?? "", "node address");
            w.String(answer.BootstrapSeed ?? "", "bootstrap seed");
            w.Int64(new DateTimeOffset(DateTime.SpecifyKind(host.ReadAt, DateTimeKind.Utc)).ToUnixTimeMilliseconds());
            w.Double(host.Load);
            var interfaces = host.Interfaces.IsDefault ? [] : host.Interfaces;
            if (interfaces.Length > MaxInterfaces) throw new ArgumentException($"{interfaces.Length} interfaces: at most {MaxInterfaces} fit a discovery answer");
            w.Byte((byte)interfaces.Length);
            foreach (var i in interfaces)
            {
                w.String(i.Name, "interface name");
                w.IPv4(i.IPv4, "interface address");
                w.Byte((byte)Math.Clamp(i.PrefixLength, 0, 32));
                var flags = (byte)((i.Mac is null ? 0 : InterfaceHasMac) | (i.Gateway is null ? 0 : InterfaceHasGateway) | (i.GatewayMac is null ? 0 : InterfaceHasGatewayMac));
                w.Byte(flags);
                if (i.Mac is { } mac) w.Mac(mac);
                if (i.Gateway is not null) w.IPv4(i.Gateway, "gateway");
                if (i.GatewayMac is { } gwMac) w.Mac(gwMac);
                w.UInt32((uint)Math.Max(0, i.Mtu));
            }
            w.UInt16((ushort)vms.Length);
            foreach (var vm in vms)
            {
                w.String(vm.Name, "VM name");
                w.String(vm.State, "VM state");
                var nics = vm.Nics.IsDefault ? [] : vm.Nics;
                if (nics.Length > MaxNics) throw new ArgumentException($"VM {vm.Name} has {nics.Length} NICs: at most {MaxNics} fit a discovery answer");
                w.Byte((byte)nics.Length);
                foreach (var nic in nics)
                {
                    w.Mac(nic.Mac);
                    w.String(nic.HostInterface, "NIC host interface");
                }
            }
            if (w.Length <= MaxLength) return w.Finish();
            // Too big: drop VMs from the end (halving keeps the number of tries small) and say so.
            if (vms.Length == 0) throw new ArgumentException($"the answer is {w.Length} bytes without any VM: more than {MaxLength}");
            vms = vms[..(vms.Length / 2)];
            truncated = true;
        }
    }

    // ------------------------------------------------------------------ decoding

    /// <summary>
    /// Decodes a datagram into a <see cref="DiscoveryQuery"/> or <see cref="DiscoveryAnswer"/>.
    /// Returns false with <paramref name="error"/> naming the problem (a short, stable word such as
    /// <c>magic</c>, <c>length</c>, <c>string</c>, used as a counter name) for anything malformed.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out object? message, out string? error)
    {
        message = null;
        try
        {
            message = Decode(datagram);
            error = null;
            return true;
        }
        catch (MalformedException e)
        {
            error = e.Reason;
            return false;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or DecoderFallbackException or OverflowException or IndexOutOfRangeException)
        {
            // Defence in depth: the reader checks every bound, but nothing a peer sends may escape.
            error = "invalid";
            return false;
        }
    }

    private static object Decode(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderLength) throw new MalformedException("too-short");
        if (datagram.Length > MaxLength) throw new MalformedException("too-long");
        if (!datagram[..4].SequenceEqual(Magic)) throw new MalformedException("magic");
        if (datagram[4] != Version) throw new MalformedException("version");
        var kind = datagram[5];
        if (kind is not (KindQuery or KindAnswer)) throw new MalformedException("kind");
        var flags = datagram[6];
        if ((kind == KindQuery && flags != 0) || (flags & ~FlagTruncated) != 0) throw new MalformedException("flags");
        if (datagram[7] > (byte)MemberState.Leaving) throw new MalformedException("state");
        var state = (MemberState)datagram[7];
        var ttl = datagram[8];
        if (ttl == 0) throw new MalformedException("ttl");
        if (datagram[9] != 0) throw new MalformedException("reserved");
        var bodyLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[10..]);
        if (HeaderLength + bodyLength != datagram.Length) throw new MalformedException("length");
        var id = new Guid(datagram[12..28], bigEndian: true);
        var r = new Reader(datagram[HeaderLength..]);
        object result;
        if (kind == KindQuery)
        {
            var host = r.HostName();
            var node = r.NodeAddress(allowEmpty: true);
            var seed = r.NodeAddress(allowEmpty: true);
            result = new DiscoveryQuery(id, ttl, state, host, node, seed.Length == 0 ? null : seed);
        }
        else
        {
            var name = r.HostName();
            var substrate = r.IPv4() ?? throw new MalformedException("substrate-address");
            var node = r.NodeAddress(allowEmpty: true);
            var seed = r.NodeAddress(allowEmpty: true);
            var readAtMs = r.Int64();
            if (readAtMs < MinReadAtMs || readAtMs > MaxReadAtMs) throw new MalformedException("read-at");
            var load = r.Double();
            if (!double.IsFinite(load) || load < 0) throw new MalformedException("load");
            int interfaceCount = r.Byte();
            if (interfaceCount > MaxInterfaces) throw new MalformedException("count");
            var interfaces = ImmutableArray.CreateBuilder<InterfaceInfo>(interfaceCount);
            for (var i = 0; i < interfaceCount; i++)
            {
                var ifName = r.InterfaceName();
                var ip = r.IPv4();
                int prefix = r.Byte();
                if (prefix > 32) throw new MalformedException("prefix");
                var ifFlags = r.Byte();
                if ((ifFlags & ~(InterfaceHasMac | InterfaceHasGateway | InterfaceHasGatewayMac)) != 0) throw new MalformedException("flags");
                MacAddress? mac = (ifFlags & InterfaceHasMac) != 0 ? r.Mac() : null;
                var gateway = (ifFlags & InterfaceHasGateway) != 0 ? r.IPv4() ?? throw new MalformedException("gateway") : null;
                MacAddress? gwMac = (ifFlags & InterfaceHasGatewayMac) != 0 ? r.Mac() : null;
                var mtu = r.UInt32();
                if (mtu > 1 << 20) throw new MalformedException("mtu");
                interfaces.Add(new InterfaceInfo(ifName, ip, ip is null ? 0 : prefix, mac, gateway, gwMac, (int)mtu));
            }
            int vmCount = r.UInt16();
            if (vmCount > MaxVms) throw new MalformedException("count");
            var vms = ImmutableArray.CreateBuilder<VmInfo>(vmCount);
            for (var v = 0; v < vmCount; v++)
            {
                var vmName = r.Name("vm-name", 64);
                var vmState = r.Name("vm-state", 32);
                int nicCount = r.Byte();
                if (nicCount > MaxNics) throw new MalformedException("count");
                var nics = ImmutableArray.CreateBuilder<VmNic>(nicCount);
                for (var n = 0; n < nicCount; n++) nics.Add(new VmNic(r.Mac(), r.InterfaceName()));
                vms.Add(new VmInfo(vmName, nics.MoveToImmutable(), vmState));
            }
            r.End();
            var info = new HostInfo(name, substrate, interfaces.MoveToImmutable(), vms.MoveToImmutable(), load)
            {
                ReadAt = DateTimeOffset.FromUnixTimeMilliseconds(readAtMs).UtcDateTime,
                NodeAddress = node.Length == 0 ? null : node,
            };
            return new DiscoveryAnswer(id, ttl, state, info, seed.Length == 0 ? null : seed, (flags & FlagTruncated) != 0);
        }
        r.End();
        return result;
    }

    private static readonly long MinReadAtMs = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly long MaxReadAtMs = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static void CheckNames(string host, string node, string? seed)
    {
        // What peers would refuse is refused here, so a host never answers with something invisible.
        if (!IsHostName(host)) throw new ArgumentException($"host name '{host}' is not 1-63 letters, digits, '-', '_' or '.'");
        if (node.Length > 0 && !IsNodeAddress(node)) throw new ArgumentException($"node address '{node}' is not protocol://system@host:port");
        if (seed is { Length: > 0 } && !IsNodeAddress(seed)) throw new ArgumentException($"bootstrap seed '{seed}' is not protocol://system@host:port");
    }

    private static void CheckTtl(int ttl)
    {
        if (ttl is < 1 or > 255) throw new ArgumentException($"TTL {ttl} is out of range 1-255");
    }

    /// <summary>Host names: 1-63 letters, digits, '-', '_' or '.'.</summary>
    public static bool IsHostName(string? s) => s is { Length: > 0 and <= 63 } && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Interface names as Linux takes them: 1-15 printable ASCII characters, no space or '/'.</summary>
    public static bool IsInterfaceName(string? s) => s is { Length: > 0 and <= 15 } && s.All(c => c is > ' ' and < (char)127 and not '/');

    /// <summary>Akka node addresses: printable ASCII without spaces, "protocol://system@host:port".</summary>
    public static bool IsNodeAddress(string? s) =>
        s is { Length: > 0 and <= 200 } && s.All(c => c is > ' ' and < (char)127) && s.Contains("://", StringComparison.Ordinal) && s.Contains('@') && s.LastIndexOf(':') > s.IndexOf('@');

    private sealed class MalformedException(string reason) : Exception(reason)
    {
        public string Reason { get; } = reason;
    }

    private sealed class Writer
    {
        private readonly MemoryStream _stream = new();
        private int _bodyStart;

        public int Length => (int)_stream.Length;

        public void Header(byte kind, byte flags, MemberState state, int ttl, Guid id)
        {
            _stream.Write(Magic);
            Byte(Version);
            Byte(kind);
            Byte(flags);
            Byte((byte)state);
            Byte((byte)ttl);
            Byte(0);
            UInt16(0); // body length, patched by Finish
            Span<byte> guid = stackalloc byte[16];
            id.TryWriteBytes(guid, bigEndian: true, out _);
            _stream.Write(guid);
            _bodyStart = Length;
        }

        public void Byte(byte b) => _stream.WriteByte(b);

        public void UInt16(ushort v)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(b, v);
            _stream.Write(b);
        }

        public void UInt32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, v);
            _stream.Write(b);
        }

        public void Int64(long v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(b, v);
            _stream.Write(b);
        }

        public void Double(double v)
        {
            if (!double.IsFinite(v) || v < 0) throw new ArgumentException($"load {v} is not a finite, non-negative number");
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleBigEndian(b, v);
            _stream.Write(b);
        }

        public void String(string s, string what)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            if (bytes.Length > 255) throw new ArgumentException($"{what} '{s[..Math.Min(s.Length, 40)]}…' is longer than 255 bytes");
            Byte((byte)bytes.Length);
            _stream.Write(bytes);
        }

        public void IPv4(string? text, string what)
        {
            Span<byte> b = stackalloc byte[4];
            if (text is not null)
            {
                if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException($"{what} '{text}' is not an IPv4 address");
                ip.TryWriteBytes(b, out _);
            }
            _stream.Write(b);
        }

        public void Mac(MacAddress mac)
        {
            Span<byte> b = stackalloc byte[6];
            mac.WriteTo(b);
            _stream.Write(b);
        }

        public byte[] Finish()
        {
            var bytes = _stream.ToArray();
            var body = bytes.Length - _bodyStart;
            if (bytes.Length > MaxLength) throw new ArgumentException($"the datagram is {bytes.Length} bytes, more than {MaxLength}");
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), (ushort)body);
            return bytes;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> body)
    {
        private readonly ReadOnlySpan<byte> _body = body;
        private int _at;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || _at + n > _body.Length) throw new MalformedException("truncated");
            var s = _body.Slice(_at, n);
            _at += n;
            return s;
        }

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public uint UInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public double Double() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

        public MacAddress Mac() => MacAddress.FromBytes(Take(6));

        /// <summary>An IPv4 address; 0.0.0.0 means none.</summary>
        public string? IPv4()
        {
            var b = Take(4);
            if (b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0) return null;
            return new IPAddress(b).ToString();
        }

        private string String(string what)
        {
            var length = Byte();
            var bytes = Take(length);
            string s;
            try
            {
                s = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new MalformedException("utf8");
            }
            if (s.Any(char.IsControl)) throw new MalformedException(what);
            return s;
        }

        public string HostName()
        {
            var s = String("host-name");
            return IsHostName(s) ? s : throw new MalformedException("host-name");
        }

        public string InterfaceName()
        {
            var s = String("interface-name");
            return IsInterfaceName(s) ? s : throw new MalformedException("interface-name");
        }

        public string NodeAddress(bool allowEmpty)
        {
            var s = String("node-address");
            if (s.Length == 0 && allowEmpty) return s;
            return IsNodeAddress(s) ? s : throw new MalformedException("node-address");
        }

        /// <summary>A VM name or state: 1 to <paramref name="max"/> characters, no control characters (spaces allowed: "shut off").</summary>
        public string Name(string what, int max)
        {
            var s = String(what);
            return s.Length > 0 && s.Length <= max ? s : throw new MalformedException(what);
        }

        public readonly void End()
        {
            if (_at != _body.Length) throw new MalformedException("trailing");
        }
    }
}
