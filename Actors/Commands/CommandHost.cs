using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;

namespace VNet.Actors.Commands;

/// <summary>Where the command host listens (the <c>vnet.console</c> HOCON section).</summary>
public sealed record CommandHostSettings(IPAddress? BindAddress, int Port, string? UnixSocket);

/// <summary>
/// /user/cmd (DESIGN.md §8): the node's console endpoint, modelled on Petabridge.Cmd. Listens on
/// TCP (default port 9110 on the node's address; port 0 picks a free one) and on a UNIX socket
/// (so the lab machine reaches every node without a route into the namespaces); one
/// <see cref="CommandSession"/> actor per connection.
/// </summary>
public sealed class CommandHost : ReceiveActor
{
    /// <summary>Ask where the host listens; answered with <see cref="Endpoints"/>.</summary>
    public sealed record GetEndpoints
    {
        /// <summary>The single instance.</summary>
        public static GetEndpoints Instance { get; } = new();
    }

    /// <summary>The bound TCP endpoint and UNIX socket path.</summary>
    public sealed record Endpoints(IPEndPoint? Tcp, string? Unix);

    private sealed record Accepted(Socket Socket);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CommandHostSettings _settings;
    private readonly ImmutableArray<IPalette> _palettes;
    private readonly string _node;
    private readonly string _address;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _tcp;
    private Socket? _unix;

    /// <summary>Props.</summary>
    public static Props Props(CommandHostSettings settings, ImmutableArray<IPalette> palettes, string node, string address) =>
        Akka.Actor.Props.Create(() => new CommandHost(settings, palettes, node, address));

    public CommandHost(CommandHostSettings settings, ImmutableArray<IPalette> palettes, string node, string address)
    {
        _settings = settings;
        _palettes = palettes;
        _node = node;
        _address = address;
        Receive<Accepted>(a => Context.ActorOf(CommandSession.Props(a.Socket, _palettes, _node, _address)));
        Receive<GetEndpoints>(_ => Sender.Tell(new Endpoints(_tcp?.LocalEndPoint as IPEndPoint, _settings.UnixSocket)));
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        var self = Self;
        if (_settings.Port >= 0)
        {
            _tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            var bind = new IPEndPoint(_settings.BindAddress ?? IPAddress.Loopback, _settings.Port);
            try
            {
                _tcp.Bind(bind);
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException($"console cannot listen on {bind}: {e.Message}", e);
            }
            _tcp.Listen(16);
            _log.Info("console listening on tcp {0}", _tcp.LocalEndPoint);
            _ = AcceptLoop(_tcp, self);
        }
        if (!string.IsNullOrEmpty(_settings.UnixSocket))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_settings.UnixSocket)!);
            if (File.Exists(_settings.UnixSocket)) File.Delete(_settings.UnixSocket);
            _unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _unix.Bind(new UnixDomainSocketEndPoint(_settings.UnixSocket));
            _unix.Listen(16);
            _log.Info("console listening on unix {0}", _settings.UnixSocket);
            _ = AcceptLoop(_unix, self);
        }
    }

    private async Task AcceptLoop(Socket listener, IActorRef self)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var socket = await listener.AcceptAsync(_stop.Token);
                self.Tell(new Accepted(socket));
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                _log.Warning("console accept failed: {0}", e.Message);
                await Task.Delay(100);
            }
        }
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        _stop.Cancel();
        _tcp?.Dispose();
        _unix?.Dispose();
        if (!string.IsNullOrEmpty(_settings.UnixSocket) && File.Exists(_settings.UnixSocket)) File.Delete(_settings.UnixSocket);
    }
}
