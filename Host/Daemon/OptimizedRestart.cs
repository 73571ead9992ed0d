using System.Collections;
using System.Runtime.InteropServices;

namespace VNet.Host.Daemon;

/// <summary>
/// vnetd runs with tiered compilation off: its forwarding loops must be fully optimized from the
/// first frame. With tiering on, the data plane ran 30–50 % slower for its first 10–15 s under
/// load (the background JIT competes with the saturated forwarders for the CPU) — measured in the
/// two-hosts lab. The setting cannot change inside a running process, so the daemon replaces its
/// own image (execve, same pid) once with DOTNET_TieredCompilation=0; the CLI keeps fast start-up.
/// </summary>
internal static partial class OptimizedRestart
{
    private const string Variable = "DOTNET_TieredCompilation";

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execve(string path, string?[] argv, string?[] envp);

    /// <summary>Re-executes this process with tiering off unless it already is (or the operator set the variable).</summary>
    public static void EnsureNoTiering(string[] args)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null || Environment.ProcessPath is not { } exe) return;
        var argv = new List<string?> { exe };
        // Under `dotnet VNet.Host.dll`, the host needs the assembly path back; the apphost does not.
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") argv.Add(typeof(OptimizedRestart).Assembly.Location);
        argv.AddRange(args);
        argv.Add(null);
        var env = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}").Append($"{Variable}=0").ToList<string?>();
        env.Add(null);
        execve(exe, [.. argv], [.. env]);
        // Only returns on failure: run on with tiering, which is slower but correct.
        System.Console.Error.WriteLine($"vnetd: could not restart with tiered compilation off ({Marshal.GetLastPInvokeErrorMessage()}); running with it on");
    }
}
