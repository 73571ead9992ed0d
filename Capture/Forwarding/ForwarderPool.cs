using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using VNet.Capture.Native;

namespace VNet.Capture.Forwarding;

/// <summary>
/// One direction of one link end as the pool drives it: a file descriptor that becomes readable
/// when input waits, a step that handles what is ready without blocking, and the time by which
/// the step must run even without input (a frame held back by delay or shaping).
/// </summary>
public interface IPooledStep
{
    /// <summary>The descriptor to wait on (a packet socket, a substrate socket).</summary>
    int WaitFd { get; }

    /// <summary>Handles what is ready without waiting; returns frames handled. Throws when the step cannot go on.</summary>
    int Step();

    /// <summary>Stopwatch timestamp by which <see cref="Step"/> must run without input; <see cref="long.MaxValue"/>: none.</summary>
    long NextDue => long.MaxValue;
}

/// <summary>A forwarder of one direction: run by a thread of its own (<see cref="RunOnce"/>, blocking) or by the pool (<see cref="IPooledStep.Step"/>).</summary>
public interface IForwarder : IPooledStep
{
    /// <summary>Waits (up to its timeout) for input and handles it; returns frames handled.</summary>
    int RunOnce();
}

/// <summary>
/// A bounded set of forwarder threads shared by every link of a node: each thread waits with
/// epoll on the descriptors of the link ends it serves and runs the step of each one that is
/// ready, so threads do not grow with links. Both directions of one link end (one
/// <c>group</c>) are served by the same thread: a frame injected toward a VM whose answer is
/// back before the injection returns (a ping, a TCP ACK) is picked up in the same wake-up.
/// A new group goes to the thread that serves the fewest steps. A step that throws is taken out
/// and reported once through its failure callback; the others go on.
/// </summary>
public sealed class ForwarderPool : IDisposable
{
    private readonly PoolThread?[] _threads;
    private readonly Dictionary<object, (PoolThread Thread, int Members)> _groups = new(ReferenceEqualityComparer.Instance);
    private readonly object _gate = new();
    private readonly string _name;
    private readonly int _spinMicros;
    private readonly int _nice;
    private bool _disposed;

    /// <summary>
    /// Creates the pool; threads start when the first steps join. <paramref name="spinMicros"/> &gt; 0:
    /// after traffic a thread keeps polling that long before it sleeps (lower latency, more CPU).
    /// <paramref name="nice"/>: the scheduling niceness of the threads (-20 to 19; 0 = as the process).
    /// </summary>
    public ForwarderPool(int threads, int spinMicros = 0, string name = "vnet-fwd", int nice = 0)
    {
        if (nice is < -20 or > 19) throw new ArgumentOutOfRangeException(nameof(nice), nice, "niceness is -20 to 19");
        _nice = nice;
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "a forwarder pool needs at least one thread");
        _threads = new PoolThread?[threads];
        _spinMicros = spinMicros;
        _name = name;
    }

    /// <summary>The most threads this pool runs.</summary>
    public int Capacity => _threads.Length;

    /// <summary>Threads started so far.</summary>
    public int Threads
    {
        get { lock (_gate) return _threads.Count(t => t is not null); }
    }

    /// <summary>Steps served now.</summary>
    public int Steps
    {
        get { lock (_gate) return _threads.Sum(t => t?.Load ?? 0); }
    }

    /// <summary>
    /// Adds <paramref name="step"/> to the thread that serves <paramref name="group"/> (or the least
    /// loaded one). Disposing the result takes the step out; when it returns, the step is not running
    /// and will not run again.
    /// </summary>
    public IDisposable Join(object group, string name, IPooledStep step, Action<Exception> onFailure)
    {
        if (step.WaitFd < 0) throw new ArgumentException($"{name} has no descriptor to wait on", nameof(step));
        PoolThread thread;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_groups.TryGetValue(group, out var known))
            {
                thread = known.Thread;
                _groups[group] = (thread, known.Members + 1);
            }
            else
            {
                thread = LeastLoaded();
                _groups[group] = (thread, 1);
            }
            thread.Load++;
        }
        var member = new Member(this, thread, group, name, step, onFailure);
        thread.Enqueue(member);
        return member;
    }

    private PoolThread LeastLoaded()
    {
        for (var i = 0; i < _threads.Length; i++)
            if (_threads[i] is null)
                return _threads[i] = new PoolThread($"{_name}-{i}", _spinMicros, _nice);
        return _threads.MinBy(t => t!.Load)!;
    }

    private void Left(Member member)
    {
        lock (_gate)
        {
            member.Thread.Load--;
            var (thread, members) = _groups[member.Group];
            if (members <= 1) _groups.Remove(member.Group);
            else _groups[member.Group] = (thread, members - 1);
        }
    }

    /// <summary>Stops every thread (steps still in the pool stop being run).</summary>
    public void Dispose()
    {
        PoolThread?[] threads;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            threads = _threads.ToArray();
        }
        foreach (var t in threads) t?.Dispose();
    }

    /// <summary>A step in the pool; disposing it takes it out.</summary>
    private sealed class Member(ForwarderPool pool, PoolThread thread, object group, string name, IPooledStep step, Action<Exception> onFailure) : IDisposable
    {
        public readonly PoolThread Thread = thread;
        public readonly object Group = group;
        public readonly string Name = name;
        public readonly IPooledStep Step = step;
        public readonly Action<Exception> OnFailure = onFailure;
        public readonly int Fd = step.WaitFd;
        public readonly ManualResetEventSlim Out = new(false);
        public int Slot = -1;
        public bool Active;         // on the pool thread only
        private int _leaving;

        /// <summary>Called once, on the pool thread, when the member is out of the epoll set.</summary>
        public void MarkOut()
        {
            Active = false;
            if (Interlocked.Exchange(ref _leaving, 1) == 0) pool.Left(this);
            Out.Set();
        }

        public void Dispose()
        {
            if (Out.IsSet) return;
            if (Thread.IsStopped)
            {
                MarkOut();
                return;
            }
            if (System.Threading.Thread.CurrentThread == Thread.Worker)
            {
                Thread.RemoveNow(this);
                return;
            }
            Thread.Enqueue(this, remove: true);
            if (!Out.Wait(TimeSpan.FromSeconds(5)))
                throw new TimeoutException($"forwarder {Name} did not leave thread {Thread.Worker.Name} within 5 s");
        }
    }

    /// <summary>One thread of the pool: an epoll set, an eventfd to wake it, the members it serves.</summary>
    private sealed unsafe class PoolThread : IDisposable
    {
        private const int MaxEvents = 64;
        private const ulong WakeData = ulong.MaxValue;
        public readonly Thread Worker;
        public int Load;            // under the pool's gate
        private readonly int _epoll;
        private readonly int _wake;
        private readonly long _spinTicks;
        private readonly ConcurrentQueue<(Member Member, bool Remove)> _commands = new();
        private readonly List<Member?> _slots = new();
        private readonly Stack<int> _free = new();
        private volatile bool _stopping;

        /// <summary>True once the thread was told to stop (it runs no step any more).</summary>
        public bool IsStopped => _stopping;

        private readonly int _nice;

        public PoolThread(string name, int spinMicros, int nice)
        {
            _nice = nice;
            _spinTicks = spinMicros * Stopwatch.Frequency / 1_000_000;
            _epoll = Epoll.epoll_create1(Epoll.EPOLL_CLOEXEC);
            if (_epoll < 0) throw new InvalidOperationException($"epoll_create1 failed: {LibcErrors.GetLastPInvokePErrorMessage()}");
            _wake = Epoll.eventfd(0, Epoll.EFD_CLOEXEC | Epoll.EFD_NONBLOCK);
            if (_wake < 0 || Epoll.Add(_epoll, _wake, WakeData) != 0)
            {
                Libc.close(_epoll);
                throw new InvalidOperationException($"eventfd failed: {LibcErrors.GetLastPInvokePErrorMessage()}");
            }
            Worker = new Thread(Run) { IsBackground = true, Name = name };
            Worker.Start();
        }

        public void Enqueue(Member member, bool remove = false)
        {
            _commands.Enqueue((member, remove));
            Wake();
        }

        private void Wake()
        {
            ulong one = 1;
            Epoll.write(_wake, &one, sizeof(ulong));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase
        private void Run()
        {
            // A thread serves many links, and the kernel shares the CPU per thread: a lower niceness keeps
            // the few forwarder threads from being outweighed by the many threads of the VMs they serve.
            // Failing (no CAP_SYS_NICE) leaves the process's niceness, which forwards as well, less evenly.
            if (_nice != 0) Epoll.setpriority(0 /* PRIO_PROCESS: one thread, by id */, Epoll.ThreadId(), _nice);
            var events = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(MaxEvents * Epoll.EventSize));
            long lastActivity = 0;
            try
            {
                while (!_stopping)
                {
                    if (!_commands.IsEmpty) ApplyCommands();
                    var now = Stopwatch.GetTimestamp();
                    var due = NextDue();
                    var spinning = _spinTicks > 0 && now - lastActivity < _spinTicks;
                    long timeout = spinning ? 0
                        : due == long.MaxValue ? -1
                        : Math.Max(0, (due - now) * 1_000_000 / Stopwatch.Frequency);
                    var n = Epoll.Wait(_epoll, events, MaxEvents, timeout);
                    var handled = 0;
                    for (var i = 0; i < n; i++)
                    {
                        var data = Epoll.DataOf(events, i);
                        if (data == WakeData)
                        {
                            ulong value;
                            Epoll.read(_wake, &value, sizeof(ulong));
                            continue;
                        }
                        var member = _slots[(int)data];
                        if (member is { Active: true }) handled += RunStep(member);
                    }
                    if (due != long.MaxValue && due <= Stopwatch.GetTimestamp()) handled += RunDue();
                    if (handled > 0) lastActivity = Stopwatch.GetTimestamp();
                    else if (spinning) Thread.Yield();
                }
            }
            finally
            {
                System.Runtime.InteropServices.NativeMemory.Free(events);
            }
        }

        private long NextDue()
        {
            var due = long.MaxValue;
            foreach (var m in _slots)
                if (m is { Active: true } && m.Step.NextDue is var d && d < due) due = d;
            return due;
        }

        private int RunDue()
        {
            var now = Stopwatch.GetTimestamp();
            var handled = 0;
            for (var i = 0; i < _slots.Count; i++)
                if (_slots[i] is { Active: true } m && m.Step.NextDue <= now) handled += RunStep(m);
            return handled;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int RunStep(Member member)
        {
            try
            {
                return member.Step.Step();
            }
            catch (Exception e)
            {
                RemoveNow(member);
                try { member.OnFailure(e); }
                catch (Exception) { /* the owner's callback must not stop the thread */ }
                return 0;
            }
        }

        private void ApplyCommands()
        {
            while (_commands.TryDequeue(out var command))
            {
                var member = command.Member;
                if (command.Remove)
                {
                    RemoveNow(member);
                    continue;
                }
                if (member.Out.IsSet) continue; // disposed before it was added
                var slot = _free.Count > 0 ? _free.Pop() : AddSlot();
                if (Epoll.Add(_epoll, member.Fd, (ulong)slot) != 0)
                {
                    _free.Push(slot);
                    var error = new InvalidOperationException($"{member.Name}: cannot wait on descriptor {member.Fd}: {LibcErrors.GetLastPInvokePErrorMessage()}");
                    member.MarkOut();
                    try { member.OnFailure(error); } catch (Exception) { }
                    continue;
                }
                member.Slot = slot;
                member.Active = true;
                _slots[slot] = member;
            }
        }

        private int AddSlot()
        {
            _slots.Add(null);
            return _slots.Count - 1;
        }

        /// <summary>Takes <paramref name="member"/> out (on this thread); idempotent.</summary>
        public void RemoveNow(Member member)
        {
            if (member.Out.IsSet) return;
            if (member.Slot >= 0 && _slots[member.Slot] == member)
            {
                Epoll.Remove(_epoll, member.Fd);
                _slots[member.Slot] = null;
                _free.Push(member.Slot);
                member.Slot = -1;
            }
            member.MarkOut();
        }

        public void Dispose()
        {
            _stopping = true;
            Wake();
            if (Thread.CurrentThread != Worker) Worker.Join(TimeSpan.FromSeconds(5));
            Libc.close(_wake);
            Libc.close(_epoll);
        }
    }
}
