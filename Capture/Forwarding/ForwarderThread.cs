using System.Runtime.CompilerServices;
namespace VNet.Capture.Forwarding;

/// <summary>
/// A dedicated thread that calls one forwarder step until stopped. A failure ends the thread and
/// is reported once through <c>onFailure</c>; the owner (a worker actor) decides what happens next.
/// </summary>
public sealed class ForwarderThread : IDisposable
{
    private readonly Thread _thread;
    private readonly Func<int> _step;
    private readonly Action? _wake;
    private readonly Action<Exception> _onFailure;
    private volatile bool _stopping;

    /// <summary>Starts the thread. <paramref name="wake"/> makes a blocked step return (e.g. pcap_breakloop).</summary>
    public ForwarderThread(string name, Func<int> step, Action? wake, Action<Exception> onFailure)
    {
        _step = step;
        _wake = wake;
        _onFailure = onFailure;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>True while the loop runs.</summary>
    public bool IsRunning => _thread.IsAlive;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private void Run()
    {
        try
        {
            while (!_stopping) _step();
        }
        catch (Exception e) when (!_stopping)
        {
            _onFailure(e);
        }
        catch (Exception)
        {
            // Errors while stopping (handle closed under the loop) are expected.
        }
    }

    /// <summary>Stops the loop and waits for the thread (steps return within their timeouts).</summary>
    public void Dispose()
    {
        _stopping = true;
        _wake?.Invoke();
        if (Thread.CurrentThread != _thread && !_thread.Join(TimeSpan.FromSeconds(5)))
            throw new TimeoutException($"forwarder thread {_thread.Name} did not stop within 5 s");
    }
}
