using Spectre.Console;
using VNet.Client;
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

    /// <summary><c>vnet metrics</c>.</summary>
    public static async Task<int> MetricsAsync(Uri node)
    {
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
    public static async Task<int> TopAsync(Uri node, TimeSpan interval, int? count)
    {
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

    /// <summary>
    /// <c>vnet lab metrics|top HOST</c>: runs the verb again inside the host's namespace, where the
    /// node's listener is on loopback; <paramref name="forwarded"/> are the verb's own switches.
    /// </summary>
    public static int InLab(string verb, LabState state, string host, IReadOnlyList<string> forwarded)
    {
        var netns = Host(verb, state, host).Netns;
        var psi = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, Environment.ProcessPath!, verb }.Concat(forwarded)) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary><c>vnet lab web HOST [--port N]</c>: forwards until Ctrl-C.</summary>
    public static async Task<int> WebAsync(LabState state, string hostName, int port)
    {
        var host = Host("web", state, hostName);
        using var forward = new NetnsForwarder(host.Netns, port, DefaultNode.Port);
        using var cancel = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        System.Console.WriteLine($"topology page of {host.Name} (lab {state.Id}): http://{forward.Local}/  metrics: http://{forward.Local}/metrics  (Ctrl-C ends)");
        await forward.RunAsync(cancel.Token);
        return 0;
    }

    private static LabHostState Host(string verb, LabState state, string host) =>
        state.Hosts.FirstOrDefault(h => h.Name == host)
            ?? throw new CommandException($"lab {verb}: lab {state.Id} has no host '{host}'{CommandLine.Suggestions.DidYouMean(host, state.Hosts.Select(h => h.Name))} (hosts: {string.Join(", ", state.Hosts.Select(h => h.Name))})", ExitCodes.Usage);

    /// <summary>A node's listener address as <c>--url</c> gives it: http(s), with a trailing slash.</summary>
    public static Uri ParseUrl(string value) =>
        Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? u
            : throw new CommandException($"--url '{value}' is not an http(s) address such as http://127.0.0.1:9464/", ExitCodes.Usage);
}
