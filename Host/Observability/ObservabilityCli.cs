using System.Globalization;
using Spectre.Console;
using VNet.Actors.Commands;
using VNet.Host.Labs;

namespace VNet.Host.Observability;

/// <summary>
/// The CLI verbs of observability: <c>vnet metrics</c> and <c>vnet top</c> against a node's HTTP
/// listener, and <c>vnet lab metrics|top|web HOST</c> for a lab node (whose listener is on the
/// loopback of its namespace).
/// </summary>
public static class ObservabilityCli
{
    /// <summary>Where a node's listener is by default (vnet.metrics in hocon/vnetd.hocon).</summary>
    public static readonly Uri DefaultNode = new("http://127.0.0.1:9464/");

    /// <summary>The usage lines, for the CLI's help.</summary>
    public const string Usage = """
          vnet metrics [--url URL]               print a node's /metrics (default http://127.0.0.1:9464/)
          vnet top [--url URL] [--interval S] [--count N]
                                                 live table of every link end: rate of each direction, drops
          vnet lab metrics|top HOST [-L ID] [...]
                                                 the same for a lab host's node (run inside its namespace)
          vnet lab web HOST [-L ID] [--port N]
                                                 forward 127.0.0.1:N (default 9464) here to the lab node's
                                                 topology page and /metrics
        """;

    /// <summary><c>vnet metrics</c>.</summary>
    public static async Task<int> MetricsAsync(string[] args)
    {
        var (node, _, _) = Options(args, "metrics", allowTop: false);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            System.Console.Write(await http.GetStringAsync(new Uri(node, "metrics")));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new CommandException($"cannot read {new Uri(node, "metrics")}: {e.Message} (is vnetd running with vnet.metrics.enabled = on?)");
        }
        return 0;
    }

    /// <summary><c>vnet top</c>.</summary>
    public static async Task<int> TopAsync(string[] args)
    {
        var (node, interval, count) = Options(args, "top", allowTop: true);
        using var cancel = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        try
        {
            return await TopView.RunAsync(node, interval, count, AnsiConsole.Console, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    /// <summary><c>vnet lab metrics|top HOST</c>: runs the verb again inside the host's namespace.</summary>
    public static int InLab(string verb, string[] args)
    {
        var (state, host, rest) = LabHost(verb, args);
        var psi = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", host.Netns, Environment.ProcessPath!, verb }.Concat(rest)) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary><c>vnet lab web HOST [--port N]</c>: forwards until Ctrl-C.</summary>
    public static async Task<int> WebAsync(string[] args)
    {
        var (state, host, rest) = LabHost("web", args);
        var port = 9464;
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] == "--port" && i + 1 < rest.Length && int.TryParse(rest[++i], CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535) port = p;
            else throw new CommandException($"lab web: unexpected '{rest[i]}' (usage: vnet lab web HOST [-L ID] [--port N])", ExitCodes.Usage);
        }
        using var forward = new NetnsForwarder(host.Netns, port, DefaultNode.Port);
        using var cancel = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        System.Console.WriteLine($"topology page of {host.Name} (lab {state.Id}): http://{forward.Local}/  metrics: http://{forward.Local}/metrics  (Ctrl-C ends)");
        await forward.RunAsync(cancel.Token);
        return 0;
    }

    private static (LabState State, LabHostState Host, string[] Others) LabHost(string verb, string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) throw new CommandException($"lab {verb}: which host? (usage: vnet lab {verb} HOST [-L ID])", ExitCodes.Usage);
        var rest = args[1..].ToList();
        string? labId = null;
        var at = rest.FindIndex(a => a is "-L" or "--lab");
        if (at >= 0)
        {
            if (at + 1 >= rest.Count) throw new CommandException($"lab {verb}: {rest[at]} needs a lab id", ExitCodes.Usage);
            labId = rest[at + 1];
            rest.RemoveRange(at, 2);
        }
        var running = LabState.Running();
        var state = labId is not null ? LabState.Read(labId) : running.Count == 1 ? running[0] : null;
        if (state is null)
            throw new CommandException(running.Count == 0 ? "no lab is up" : labId is not null ? $"no running lab '{labId}'" : $"which lab? use -L ID ({string.Join(", ", running.Select(r => r.Id))})", ExitCodes.Usage);
        var host = state.Hosts.FirstOrDefault(h => h.Name == args[0])
            ?? throw new CommandException($"lab {state.Id} has no host '{args[0]}' (hosts: {string.Join(", ", state.Hosts.Select(h => h.Name))})", ExitCodes.Usage);
        return (state, host, [.. rest]);
    }

    private static (Uri Node, TimeSpan Interval, int? Count) Options(string[] args, string verb, bool allowTop)
    {
        var node = DefaultNode;
        var interval = TimeSpan.FromSeconds(1);
        int? count = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--url" when value is not null:
                    if (!Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                        throw new CommandException($"{verb}: --url '{value}' is not an http(s) address such as http://127.0.0.1:9464/", ExitCodes.Usage);
                    node = u;
                    i++;
                    break;
                case "--interval" when allowTop && value is not null:
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || s is < 0.2 or > 3600)
                        throw new CommandException($"top: --interval '{value}' is not a number of seconds in 0.2-3600", ExitCodes.Usage);
                    interval = TimeSpan.FromSeconds(s);
                    i++;
                    break;
                case "--count" when allowTop && value is not null:
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                        throw new CommandException($"top: --count '{value}' is not a whole number of at least 1", ExitCodes.Usage);
                    count = n;
                    i++;
                    break;
                default:
                    throw new CommandException($"{verb}: unexpected '{args[i]}'", ExitCodes.Usage);
            }
        }
        return (node, interval, count);
    }
}
