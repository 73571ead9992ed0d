using System.Runtime.InteropServices;

namespace VNet.Host.Daemon;

/// <summary>
/// Gives the native memory that was freed back to the kernel, once a minute. glibc returns only the
/// top of each malloc heap by itself and keeps freed pages below it resident. Most of vnetd's native
/// allocations are short-lived: the JIT (tiering is off, so every method is compiled fully optimized
/// once, each compilation with scratch memory freed right after), TLS handshakes, process start-up.
/// Measured in a two-host lab with 10 links: malloc_trim(0) took a node from 84 MB to 65 MB private
/// memory. A trim touches only free memory and takes milliseconds; the data plane allocates no native
/// memory per frame, so it never waits on it.
/// </summary>
internal sealed partial class NativeHeapTrim : IDisposable
{
    /// <summary>First trim after start-up (the node has joined and compiled most of its code), then this often.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private readonly Timer _timer;

    // malloc_trim(3): glibc only; on a C library without it (musl) the first call fails and trimming stops.
    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    private NativeHeapTrim(TimeSpan first, TimeSpan period) => _timer = new Timer(_ => Trim(), null, first, period);

    /// <summary>Trims after <paramref name="first"/>, then every <see cref="Period"/>, until disposed.</summary>
    public static NativeHeapTrim Start(TimeSpan first) => new(first, Period);

    /// <summary>Gives free native memory back now; false where the C library has no malloc_trim.</summary>
    public static bool TrimNow()
    {
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private void Trim()
    {
        if (!TrimNow()) _timer.Change(Timeout.Infinite, Timeout.Infinite);
    }

    /// <inheritdoc/>
    public void Dispose() => _timer.Dispose();
}
