using System.Collections.Immutable;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Event;
using VNet.Client;

namespace VNet.Actors.Commands;

/// <summary>Where the command host listens (the <c>vnet.console</c> HOCON section).</summary>
public sealed record CommandHostSettings(IPAddress? BindAddress, int Port, string? UnixSocket)
{
    /// <summary>
    /// TLS for the TCP listener: the node's certificate, and the authority a client's certificate
    /// must chain to. Required on any address but loopback.
    /// </summary>
    public ConsoleTls? Tls { get; init; }

    /// <summary>True when the TCP listener is reachable from other machines (not loopback).</summary>
    public bool IsRemote => Port >= 0 && BindAddress is { } a && !IPAddress.IsLoopback(a);
}

/// <summary>The console's TLS: the node's certificate and the check a client's certificate must pass.</summary>
public sealed record ConsoleTls(X509Certificate2 Certificate, Func<X509Certificate2?, string?> IsClientTrusted);

/// <summary>
/// /user/cmd: the node's console endpoint, modelled on Petabridge.Cmd. Listens on
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

    private sealed record Accepted(Socket Socket, Stream Stream);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CommandHostSettings _settings;
    private readonly ImmutableArray<IPalette> _palettes;
    private readonly CommandDispatcher _dispatcher;
    private readonly string _node;
    private readonly string _address;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _tcp;
    private Socket? _unix;

    /// <summary>Props.</summary>
    public static Props Props(CommandHostSettings settings, ImmutableArray<IPalette> palettes, CommandDispatcher dispatcher, string node, string address) =>
        Akka.Actor.Props.Create(() => new CommandHost(settings, palettes, dispatcher, node, address));

    public CommandHost(CommandHostSettings settings, ImmutableArray<IPalette> palettes, CommandDispatcher dispatcher, string node, string address)
    {
        _settings = settings;
        _palettes = palettes;
        _dispatcher = dispatcher;
        _node = node;
        _address = address;
        Receive<Accepted>(a => Context.ActorOf(CommandSession.Props(a.Socket, a.Stream, _palettes, _dispatcher, _node, _address)));
        Receive<GetEndpoints>(_ => Sender.Tell(new Endpoints(_tcp?.LocalEndPoint as IPEndPoint, _settings.UnixSocket)));
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        var self = Self;
        if (_settings.IsRemote && _settings.Tls is null)
            throw new InvalidOperationException($"console on {_settings.BindAddress}:{_settings.Port} would accept anyone: a TCP console off loopback needs TLS (the node's certificate, vnet.trust) or vnet.console.port = -1");
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
            _log.Info("console listening on tcp {0}{1}", _tcp.LocalEndPoint, _settings.IsRemote ? " (TLS, client certificate of the cluster's authority required)" : " (loopback)");
            _ = AcceptLoop(_tcp, self, _settings.IsRemote ? _settings.Tls : null);
        }
        if (!string.IsNullOrEmpty(_settings.UnixSocket))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_settings.UnixSocket)!);
            if (File.Exists(_settings.UnixSocket)) File.Delete(_settings.UnixSocket);
            _unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _unix.Bind(new UnixDomainSocketEndPoint(_settings.UnixSocket));
            _unix.Listen(16);
            _log.Info("console listening on unix {0}", _settings.UnixSocket);
            _ = AcceptLoop(_unix, self, null);
        }
    }

    private async Task AcceptLoop(Socket listener, IActorRef self, ConsoleTls? tls)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var socket = await listener.AcceptAsync(_stop.Token);
                if (tls is null) self.Tell(new Accepted(socket, new NetworkStream(socket, ownsSocket: true)));
                else _ = Handshake(socket, tls, self);
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

    /// <summary>
    /// TLS with a required client certificate of the cluster's authority, done before the session
    /// exists: a client without one never sees the greeting, let alone a palette.
    /// </summary>
    private async Task Handshake(Socket socket, ConsoleTls tls, IActorRef self)
    {
        var remote = socket.RemoteEndPoint;
        string? refused = null;
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), false, (_, cert, _, _) =>
        {
            refused = tls.IsClientTrusted(cert as X509Certificate2 ?? (cert is null ? null : new X509Certificate2(cert)));
            return refused is null;
        });
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = tls.Certificate,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, timeout.Token);
            self.Tell(new Accepted(socket, ssl));
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _log.Warning("console refused {0}: {1}", remote, refused ?? e.Message);
            await ssl.DisposeAsync();
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
