using System.Diagnostics;
using VNet.Host.Labs;

namespace VNet.Integration.Tests.Deploy;

/// <summary>
/// A network namespace that stands for a machine: its own interfaces and default route, its own
/// host name (UTS namespace), and its own <c>/usr</c>, <c>/etc</c>, <c>/var</c> and <c>/root</c>
/// (overlays on the real ones, so installing a package changes only this machine) and an empty
/// <c>/run/vnet</c>. A holder process keeps the mount and UTS namespaces; commands enter them with
/// nsenter. <see cref="DisposeAsync"/> ends every process started here, the holder (and with it
/// the overlays) and the namespace, and removes the overlays' upper directories.
/// </summary>
public sealed class DeployMachine : IAsyncDisposable
{
    private static readonly string[] Overlaid = ["/usr", "/etc", "/var", "/root"];
    private readonly List<(int Pid, string Log)> _background = [];
    private readonly Process _holder;

    private DeployMachine(string name, string netns, string directory, Process holder)
    {
        Name = name;
        Netns = netns;
        Directory = directory;
        _holder = holder;
    }

    /// <summary>The machine's host name.</summary>
    public string Name { get; }

    /// <summary>Its network namespace.</summary>
    public string Netns { get; }

    /// <summary>Where its overlays and logs live on the real machine.</summary>
    public string Directory { get; }

    /// <summary>Makes the namespace's file system and host name (the namespace must exist).</summary>
    public static async Task<DeployMachine> StartAsync(string name, string netns, string directory)
    {
        var mounts = new List<string>();
        foreach (var dir in Overlaid)
        {
            var key = dir.Trim('/');
            string upper = Path.Combine(directory, key + "-upper"), work = Path.Combine(directory, key + "-work");
            System.IO.Directory.CreateDirectory(upper);
            System.IO.Directory.CreateDirectory(work);
            mounts.Add($"mount -t overlay overlay -o lowerdir={dir},upperdir={upper},workdir={work} {dir}");
        }
        mounts.Add("mkdir -p /run/vnet && mount -t tmpfs -o mode=0700 tmpfs /run/vnet");
        mounts.Add($"hostname {name}");
        var script = string.Join(" && ", mounts) + " && echo ready && exec sleep 3600";
        // ip netns exec and unshare exec, sh execs sleep: the holder's pid is the namespaces' owner.
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, "unshare", "--mount", "--uts", "--propagation", "private", "--", "sh", "-c", script }) psi.ArgumentList.Add(a);
        var holder = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the machine holder");
        var ready = await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (ready != "ready") throw new InvalidOperationException($"machine {name} did not start: {await holder.StandardError.ReadToEndAsync()}");
        return new DeployMachine(name, netns, directory, holder);
    }

    private IEnumerable<string> Enter() => ["nsenter", "-t", _holder.Id.ToString(), "-m", "-u", "-n", "--"];

    /// <summary>Runs a shell script as written in the machine, in /root; returns its exit code and output.</summary>
    public Shell.Result Run(string script, TimeSpan? timeout = null) =>
        Shell.Run(Enter().First(), [.. Enter().Skip(1), "sh", "-euc", "cd /root\n" + script], check: false, timeout ?? TimeSpan.FromSeconds(120));

    /// <summary>Starts a one-line command in the machine, detached, its output appended to a log; returns the pid.</summary>
    public int StartBackground(string command, string logName)
    {
        var log = Path.Combine(Directory, logName);
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var a in new[] { "sh", "-c", $"exec {string.Join(' ', Enter())} sh -c 'cd /root && exec {command.Trim()}' >>{Shell.Quote(log)} 2>&1 </dev/null" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {command}");
        _background.Add((p.Id, log));
        return p.Id;
    }

    /// <summary>The background processes started here, with their logs.</summary>
    public IReadOnlyList<(int Pid, string Log)> Background => _background;

    /// <summary>Reads a file of this machine (as its own processes see it).</summary>
    public byte[] ReadFile(string path) => RunBinary(["cat", "--", path], null);

    /// <summary>Writes a file on this machine.</summary>
    public void WriteFile(string path, byte[] content) => RunBinary(["sh", "-c", "cat > \"$1\"", "_", path], content);

    /// <summary>The paths a shell pattern of this machine expands to.</summary>
    public string[] Expand(string pattern)
    {
        var r = Run($"for f in {pattern}; do [ -e \"$f\" ] && echo \"$f\"; done");
        return r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private byte[] RunBinary(IEnumerable<string> command, byte[]? input)
    {
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in Enter().Skip(1).Concat(command)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        if (input is not null) p.StandardInput.BaseStream.Write(input);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30))) throw new TimeoutException(string.Join(' ', command));
        copy.Wait();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', command)} on {Name}: {p.StandardError.ReadToEnd()}");
        return output.ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var (pid, _) in _background)
        {
            if (Shell.Alive(pid)) Shell.Run("kill", ["-KILL", pid.ToString()], check: false);
            for (var i = 0; i < 100 && Shell.Alive(pid); i++) await Task.Delay(50);
        }
        if (!_holder.HasExited) _holder.Kill();
        await _holder.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _holder.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
