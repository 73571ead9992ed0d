using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>actor</c> palette: the node's actor system and its actor tree (Petabridge.Cmd's actor palette).</summary>
public sealed class ActorPalette(CommandContext context) : IPalette
{

    /// <inheritdoc/>
    public PaletteDefinition Definition { get; } = new("actor", "the node's actor system", [
        CommandDefinition.Of("system", "name, address, uptime, versions and process figures"),
        CommandDefinition.Of("hierarchy", "the actors under /user, as a tree", new SwitchDefinition("depth", "how deep to walk (default 4)")),
    ]);

    /// <summary>One actor of the tree.</summary>
    public sealed record ActorNode(string Path, int Depth);

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        switch (r.Command)
        {
            case "system":
            {
                var system = (ExtendedActorSystem)context.System;
                using var process = Process.GetCurrentProcess();
                var uptime = DateTime.Now - process.StartTime;
                var data = new
                {
                    name = system.Name,
                    address = system.Provider.DefaultAddress.ToString(),
                    node = context.NodeName,
                    uptime = uptime.ToString(@"d\.hh\:mm\:ss"),
                    akka = typeof(ActorSystem).Assembly.GetName().Version?.ToString(),
                    dotnet = Environment.Version.ToString(),
                    pid = Environment.ProcessId,
                    threads = process.Threads.Count,
                    rssMiB = process.WorkingSet64 / (1024 * 1024),
                    gcHeapMiB = GC.GetTotalMemory(false) / (1024 * 1024),
                };
                await sink.ResultAsync(r, null, ["property", "value"],
                    data.GetType().GetProperties().Select(p => new[] { p.Name, p.GetValue(data)?.ToString() ?? "" }), data);
                break;
            }
            case "hierarchy":
            {
                var depth = r.Int("depth", 1, 8) ?? 4;
                var nodes = await Walk(depth, cancel);
                await sink.ResultAsync(r, $"{nodes.Count} actor(s) under /user on {context.NodeName}", ["actor"],
                    nodes.Select(n => new[] { new string(' ', 2 * (n.Depth - 1)) + n.Path.Split('/').Last() }), nodes);
                break;
            }
        }
    }

    /// <summary>Identifies the actors under /user level by level (wildcard selections; replies for 300 ms per level).</summary>
    private async Task<List<ActorNode>> Walk(int maxDepth, CancellationToken cancel)
    {
        var found = new List<ActorNode>();
        var level = new List<string> { "/user" };
        for (var depth = 1; depth <= maxDepth && level.Count > 0; depth++)
        {
            var replies = Channel.CreateUnbounded<ActorIdentity>();
            var collector = context.System.ActorOf(Props.Create(() => new IdentityCollector(replies.Writer)));
            foreach (var parent in level) context.System.ActorSelection(parent + "/*").Tell(new Identify(depth), collector);
            await Task.Delay(300, cancel);
            context.System.Stop(collector);
            replies.Writer.TryComplete();
            var next = new List<string>();
            await foreach (var id in replies.Reader.ReadAllAsync(cancel))
            {
                if (id.Subject is null) continue;
                var path = id.Subject.Path.ToStringWithoutAddress();
                if (path.Split('/').Last().StartsWith('$')) continue; // temporary actors (asks, this walk)
                next.Add(path);
            }
            found.AddRange(next.Select(p => new ActorNode(p, depth)));
            level = next;
        }
        // Depth-first order (segment by segment) reads as a tree.
        return found.OrderBy(n => string.Join('\u0001', n.Path.Split('/')), StringComparer.Ordinal).ToList();
    }

    private sealed class IdentityCollector : ReceiveActor
    {
        public IdentityCollector(ChannelWriter<ActorIdentity> writer) => Receive<ActorIdentity>(i => writer.TryWrite(i));
    }
}
