using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Serialization.Hyperion;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Daemon;
using VNet.Messages.Commands;

namespace VNet.Host.Tests.Console;

/// <summary>
/// The command messages: every one has a closed set of replies, and crosses the console socket
/// (JSON) and the cluster (Hyperion, under vnetd's allow-list) unchanged.
/// </summary>
public sealed class CommandMessageTests : IDisposable
{
    private readonly ActorSystem _system;

    public CommandMessageTests()
    {
        var hocon = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon"));
        var config = ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(ConfigurationFactory.ParseString(hocon));
        _system = ActorSystem.Create("commands", BootstrapSetup.Create().WithConfig(config).And(HyperionSerializerSetup.Empty.WithTypeFilter(new HyperionAllowList())));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    public static IEnumerable<object[]> Samples() => CommandSamples.All.Select(m => new object[] { m });

    private static IEnumerable<Type> Requests => CommandJson.MessageTypes.Where(t => typeof(ICommandRequest).IsAssignableFrom(t));

    /// <summary>The reply types a request type can be answered with.</summary>
    public static IReadOnlyList<Type> RepliesOf(Type request)
    {
        var reply = CommandDispatcher.ReplyType(request);
        return [.. CommandJson.MessageTypes.Where(reply.IsAssignableFrom)];
    }

    /// <summary>The item type a streaming request yields, or null.</summary>
    public static Type? ItemOf(Type request) =>
        request.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IStreamRequest<,>))?.GetGenericArguments()[0];

    [Fact]
    public void Every_command_message_has_a_sample_and_a_kebab_case_type()
    {
        Assert.Equal(CommandJson.MessageTypes.Select(t => t.Name).Order(), CommandSamples.All.Select(m => m.GetType().Name).Order());
        Assert.Equal("link-created", CommandJson.Discriminator(typeof(LinkCreated)));
        Assert.Equal("get-hosts", CommandJson.Discriminator(typeof(GetHosts)));
        Assert.Equal(CommandJson.MessageTypes.Count, CommandJson.MessageTypes.Select(CommandJson.Discriminator).Distinct().Count());
    }

    [Fact]
    public void Every_request_has_one_closed_set_of_replies_and_every_reply_and_item_belongs_to_a_request()
    {
        foreach (var request in Requests)
        {
            Assert.True(request.IsSealed, $"{request.Name} is not sealed");
            Assert.Single(request.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>));
            var reply = CommandDispatcher.ReplyType(request);
            Assert.True(reply.IsInterface && reply != typeof(ICommandReply), $"{request.Name} is answered by {reply.Name}: not a closed set of its own");
            var replies = RepliesOf(request);
            Assert.NotEmpty(replies);
            Assert.All(replies, r => Assert.True(r.IsSealed && !typeof(ICommandRequest).IsAssignableFrom(r), $"{r.Name} answers {request.Name} but is not a sealed reply"));
        }
        var answering = Requests.SelectMany(RepliesOf).ToHashSet();
        var streamed = Requests.Select(ItemOf).OfType<Type>().ToList();
        foreach (var type in CommandJson.MessageTypes.Where(t => !typeof(ICommandRequest).IsAssignableFrom(t)))
        {
            if (typeof(ICommandReply).IsAssignableFrom(type)) Assert.True(answering.Contains(type), $"{type.Name} answers no request");
            else Assert.True(streamed.Any(i => i.IsAssignableFrom(type)), $"{type.Name} is neither a reply nor an item of a request");
        }
        // Rejections say why, and are replies like any other.
        Assert.All(CommandJson.MessageTypes.Where(typeof(IRejection).IsAssignableFrom), t => Assert.Contains(t, answering));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_command_message_round_trips_as_json_and_in_console_lines(ICommandMessage message)
    {
        var json = CommandJson.Serialize(message);
        Assert.StartsWith($"{{\"type\":\"{CommandJson.Discriminator(message.GetType())}\"", json);
        var back = CommandJson.Deserialize(json);
        Assert.IsType(message.GetType(), back);
        Assert.Equal(json, CommandJson.Serialize(back));

        ConsoleLine line = message switch
        {
            ICommandRequest => new ConsoleLine.Ask(message),
            ICommandItem => new ConsoleLine.Item(message),
            _ => new ConsoleLine.Reply(message),
        };
        Assert.Equal(line.ToJson(), ConsoleLine.Parse(line.ToJson()).ToJson());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_command_message_round_trips_through_hyperion(ICommandMessage message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.Contains("Hyperion", serializer.GetType().Name);
        var back = serializer.FromBinary(serializer.ToBinary(message), message.GetType());
        Assert.Equal(CommandJson.Serialize(message), CommandJson.Serialize((ICommandMessage)back));
    }

    [Fact]
    public void A_links_key_never_reaches_the_json()
    {
        var withKey = new LinkList([new LinkState(CommandSamples.Spec, LinkPhase.Established, null, [])]);
        Assert.True(CommandSamples.Spec.HasKey);
        var json = CommandJson.Serialize(withKey);
        Assert.DoesNotContain("key", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String([.. CommandSamples.Spec.Key]), json);
    }

    [Fact]
    public void Malformed_or_unknown_typed_messages_are_refused_with_a_json_error()
    {
        Assert.Throws<JsonException>(() => CommandJson.Deserialize("{\"type\":\"launch-missiles\"}"));
        Assert.Throws<JsonException>(() => CommandJson.Deserialize("{\"type\":\"create-link\",\"kind\":\"raw-p3p\"}"));
        var (request, error) = CommandSession.ParseRequest(new BoundedLine("{\"t\":\"ask\",\"request\":{\"type\":\"link-deleted\",\"id\":\"l1\"}}", 60));
        Assert.Null(request);
        Assert.Contains("'link-deleted' is not a request", error);
    }

    /// <summary>The console command each request serves (the doc names it).</summary>
    public static readonly IReadOnlyDictionary<Type, string> Commands = new Dictionary<Type, string>
    {
        [typeof(CreateLink)] = "link create", [typeof(GetLinks)] = "link show", [typeof(SetLinkOptions)] = "link set", [typeof(DeleteLink)] = "link delete",
        [typeof(GetLinkStats)] = "link stats", [typeof(CaptureLink)] = "link capture", [typeof(GetNetwork)] = "net show, net save", [typeof(LoadNetwork)] = "net load",
        [typeof(ApplyNetwork)] = "net load (node to topology manager)", [typeof(GetHosts)] = "hosts show", [typeof(GetHostInfo)] = "host show, host inventory",
        [typeof(GetHostLinks)] = "host links", [typeof(GetMembers)] = "cluster show", [typeof(GetClusterStatus)] = "cluster status", [typeof(GetLeader)] = "cluster leader",
        [typeof(LeaveCluster)] = "cluster leave", [typeof(DownUnreachable)] = "cluster down-unreachable", [typeof(TailCluster)] = "cluster tail",
        [typeof(GetActorSystem)] = "actor system", [typeof(GetActorHierarchy)] = "actor hierarchy", [typeof(SearchHosts)] = "discover search", [typeof(GetDiscoveryStats)] = "discover stats",
        [typeof(TailLog)] = "log tail", [typeof(GetLogLevel)] = "log level", [typeof(SetLogLevel)] = "log level --set",
    };

    private const string Begin = "<!-- The messages below are generated from tests/VNet.Host.Tests/Console/CommandSamples.cs; do not edit by hand. -->";
    private const string End = "<!-- End of the generated messages. -->";

    /// <summary>
    /// docs/console-protocol.md shows the JSON of every request and reply as the code writes it:
    /// the section is generated from the samples, so it cannot drift. With VNET_UPDATE_DOCS=1 the
    /// test writes the section instead of checking it.
    /// </summary>
    [Fact]
    public void The_protocol_document_shows_every_request_and_reply_as_the_code_writes_them()
    {
        Assert.Equal(Requests.Select(t => t.Name).Order(), Commands.Keys.Select(t => t.Name).Order());
        var path = Path.Combine(RepoRoot(), "docs", "console-protocol.md");
        var doc = File.ReadAllText(path);
        var start = doc.IndexOf(Begin, StringComparison.Ordinal);
        var end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{path} has no generated section ({Begin} ... {End})");
        var expected = Generated();
        var current = doc[(start + Begin.Length)..end];
        if (Environment.GetEnvironmentVariable("VNET_UPDATE_DOCS") == "1" && current != expected)
        {
            File.WriteAllText(path, doc[..(start + Begin.Length)] + expected + doc[end..]);
            return;
        }
        Assert.True(current == expected, $"{path} is out of date with the command messages: run this test with VNET_UPDATE_DOCS=1 to write it");
    }

    private static string Generated()
    {
        var sb = new StringBuilder("\n");
        var shown = new HashSet<Type>();
        var samples = CommandSamples.All.ToDictionary(m => m.GetType());
        foreach (var request in CommandSamples.All.Where(m => m is ICommandRequest).Select(m => m.GetType()))
        {
            sb.Append($"\n### {Commands[request]}: `{CommandJson.Discriminator(request)}`\n\n");
            sb.Append($"Replies: {string.Join(" | ", RepliesOf(request).Select(r => $"`{CommandJson.Discriminator(r)}`"))}.");
            if (ItemOf(request) is { } item)
                sb.Append($" Streams: {string.Join(" | ", CommandJson.MessageTypes.Where(item.IsAssignableFrom).Select(i => $"`{CommandJson.Discriminator(i)}`"))}.");
            sb.Append("\n\n```json\n").Append(Indented(samples[request])).Append("\n```\n");
            var items = ItemOf(request) is { } i ? CommandJson.MessageTypes.Where(i.IsAssignableFrom) : [];
            foreach (var reply in items.Concat(RepliesOf(request)).Where(shown.Add))
                sb.Append("\n```json\n").Append(Indented(samples[reply])).Append("\n```\n");
        }
        return sb.Append('\n').ToString();
    }

    private static string Indented(ICommandMessage message) => JsonSerializer.Serialize(message, CommandJson.Indented).Replace("\r\n", "\n");

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VNet.Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
