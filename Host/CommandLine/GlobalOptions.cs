using System.CommandLine;

namespace VNet.Host.CommandLine;

/// <summary>
/// The switches that choose the node a console command goes to, and how its output looks. Each
/// call makes new option objects, so the help of <c>vnet</c> and the console's own parser describe
/// the same switches the same way. <c>-L/--lab</c> means the same everywhere: a running lab, by id
/// (or name) as <c>vnet lab list</c> shows it.
/// </summary>
public sealed class GlobalOptions
{
    /// <summary><c>-H host:port</c>: a node's console over TCP (TLS with a client certificate off loopback).</summary>
    public Option<string> Host { get; } = new("-H") { Description = "a node's console over TCP (TLS with a client certificate when not on loopback); default 127.0.0.1:9110 or $VNET_CONSOLE", HelpName = "host:port" };

    /// <summary><c>-S socket</c>: a node's console on a Unix socket.</summary>
    public Option<string> Socket { get; } = new("-S") { Description = "a node's console on a Unix socket", HelpName = "socket" };

    /// <summary><c>-L/--lab ID</c>: the first host of a running lab.</summary>
    public Option<string> Lab { get; } = LabOption("the console of the first host of the lab");

    /// <summary><c>--json</c>: the reply records as JSON.</summary>
    public Option<bool> Json { get; } = new("--json") { Description = "print the reply records as JSON instead of tables" };

    /// <summary><c>--pki DIR</c>: the cluster's PKI directory for a TLS console.</summary>
    public Option<string> Pki { get; } = new("--pki") { Description = "the cluster's PKI directory for -H off loopback: ca.crt, NAME.crt, NAME.key (default /etc/vnet/pki or $VNET_PKI)", HelpName = "DIR" };

    /// <summary><c>--cert NAME</c>: the client certificate's name in the PKI directory.</summary>
    public Option<string> Cert { get; } = new("--cert") { Description = "the console certificate's name in the PKI directory (default console or $VNET_CERT)", HelpName = "NAME" };

    /// <summary>Every option, in the order help lists them.</summary>
    public IEnumerable<Option> All => [Host, Socket, Lab, Json, Pki, Cert];

    /// <summary>Options that take a value (the rest are flags): what a scan for the first word must skip.</summary>
    public static readonly string[] WithValue = ["-H", "-S", "-L", "--lab", "--pki", "--cert"];

    /// <summary>The names of every global option.</summary>
    public static readonly string[] Names = [.. WithValue, "--json"];

    /// <summary>A <c>-L/--lab ID</c> option; <paramref name="what"/> says what the lab is used for by this verb.</summary>
    public static Option<string> LabOption(string what)
    {
        var option = new Option<string>("--lab", "-L") { Description = $"{what}: a running lab by id (see `vnet lab list`); default: the only lab that is up", HelpName = "ID" };
        // `-L --json`: the parser would take the next switch as the id; it is a missing value.
        option.Validators.Add(r =>
        {
            if (r.Tokens is [{ Value: var value }] && value.StartsWith('-'))
                r.AddError($"{r.IdentifierToken?.Value ?? "-L"} needs a lab id before {value}");
        });
        return option;
    }
}
