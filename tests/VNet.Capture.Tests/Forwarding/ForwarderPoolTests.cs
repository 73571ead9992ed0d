using System.Collections.Concurrent;
using System.Diagnostics;
using VNet.Capture.Forwarding;
using VNet.Capture.Native;
using Xunit;

namespace VNet.Capture.Tests.Forwarding;

/// <summary>The shared forwarder threads, driving steps that read in-memory sockets (AF_UNIX datagram pairs).</summary>
public sealed unsafe class ForwarderPoolTests : IDisposable
{
    private const int AF_UNIX = 1;
    private const int MSG_DONTWAIT = 0x40;
    private readonly List<int> _fds = new();

    /// <summary>A socket pair: the step reads one end, the test writes the other.</summary>
    private (int Read, int Write) Pair()
    {
        var fds = stackalloc int[2];
        Assert.Equal(0, Epoll.socketpair(AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, fds));
        _fds.Add(fds[0]);
        _fds.Add(fds[1]);
        return (fds[0], fds[1]);
    }

    private static void Send(int fd, int count)
    {
        var b = stackalloc byte[64];
        for (var i = 0; i < count; i++) Assert.Equal(64, (int)Libc.send(fd, b, 64, 0));
    }

    /// <summary>Reads whatever waits, like a forwarder step: never blocks.</summary>
    private sealed class ReadingStep(int fd, Func<long>? due = null) : IPooledStep
    {
        public int Frames;
        public int Runs;
        public readonly ConcurrentDictionary<int, bool> Threads = new();
        public Action? OnRun;
        public int WaitFd => fd;
        public long NextDue => due?.Invoke() ?? long.MaxValue;

        public int Step()
        {
            Interlocked.Increment(ref Runs);
            Threads[Environment.CurrentManagedThreadId] = true;
            OnRun?.Invoke();
            var buffer = stackalloc byte[128];
            var n = 0;
            while (Libc.recv(fd, buffer, 128, MSG_DONTWAIT) > 0) n++;
            Interlocked.Add(ref Frames, n);
            return n;
        }
    }

    private static void Until(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"not within 10 s: {what}");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Two_threads_serve_four_hundred_steps_and_every_frame_is_read()
    {
        using var pool = new ForwarderPool(2, name: "test-fwd");
        var steps = new List<(ReadingStep Step, int Write)>();
        var memberships = new List<IDisposable>();
        for (var i = 0; i < 400; i++)
        {
            var (read, write) = Pair();
            var step = new ReadingStep(read);
            steps.Add((step, write));
            memberships.Add(pool.Join(new object(), $"step {i}", step, e => Assert.Fail(e.Message)));
        }
        for (var round = 0; round < 3; round++)
            foreach (var (_, write) in steps) Send(write, 5);
        Until(() => steps.All(s => Volatile.Read(ref s.Step.Frames) == 15), "every step read its 15 datagrams");
        Assert.Equal(2, pool.Threads);
        Assert.Equal(400, pool.Steps);
        Assert.True(steps.SelectMany(s => s.Step.Threads.Keys).Distinct().Count() <= 2);
        foreach (var m in memberships) m.Dispose();
        Assert.Equal(0, pool.Steps);
    }

    [Fact]
    public void Both_steps_of_one_group_run_on_the_same_thread_and_groups_spread_over_threads()
    {
        using var pool = new ForwarderPool(2, name: "test-fwd");
        var groups = new[] { new object(), new object() };
        var steps = new List<(ReadingStep Step, int Write, int Group)>();
        var owned = new List<IDisposable>();
        for (var g = 0; g < 2; g++)
            for (var d = 0; d < 2; d++)
            {
                var (read, write) = Pair();
                var step = new ReadingStep(read);
                steps.Add((step, write, g));
                owned.Add(pool.Join(groups[g], $"group {g} direction {d}", step, e => Assert.Fail(e.Message)));
            }
        foreach (var s in steps) Send(s.Write, 3);
        Until(() => steps.All(s => Volatile.Read(ref s.Step.Frames) == 3), "every step ran");
        var threadOf = steps.Select(s => s.Step.Threads.Keys.Single()).ToArray();
        Assert.Equal(threadOf[0], threadOf[1]);
        Assert.Equal(threadOf[2], threadOf[3]);
        Assert.NotEqual(threadOf[0], threadOf[2]);
        foreach (var m in owned) m.Dispose();
    }

    [Fact]
    public void A_failing_step_is_reported_once_and_taken_out_while_the_others_go_on()
    {
        using var pool = new ForwarderPool(1, name: "test-fwd");
        var (badRead, badWrite) = Pair();
        var (goodRead, goodWrite) = Pair();
        var bad = new ReadingStep(badRead) { OnRun = () => throw new InvalidOperationException("interface vm9 went away") };
        var good = new ReadingStep(goodRead);
        var failures = new ConcurrentQueue<Exception>();
        using var badMember = pool.Join(new object(), "bad", bad, failures.Enqueue);
        using var goodMember = pool.Join(new object(), "good", good, e => Assert.Fail(e.Message));
        Send(badWrite, 1);
        Until(() => failures.Count == 1, "the failure was reported");
        Send(badWrite, 1);
        Send(goodWrite, 4);
        Until(() => Volatile.Read(ref good.Frames) == 4, "the good step went on");
        Thread.Sleep(50);
        Assert.Single(failures);
        Assert.Equal("interface vm9 went away", failures.Single().Message);
        Assert.Equal(1, Volatile.Read(ref bad.Runs));
        Assert.Equal(1, pool.Steps);
    }

    [Fact]
    public void After_dispose_returns_the_step_never_runs_again()
    {
        using var pool = new ForwarderPool(1, name: "test-fwd");
        var (read, write) = Pair();
        var step = new ReadingStep(read);
        var member = pool.Join(new object(), "leaving", step, e => Assert.Fail(e.Message));
        Send(write, 2);
        Until(() => Volatile.Read(ref step.Frames) == 2, "the step ran");
        member.Dispose();
        var runs = Volatile.Read(ref step.Runs);
        Send(write, 2);
        Thread.Sleep(100);
        Assert.Equal(runs, Volatile.Read(ref step.Runs));
        member.Dispose(); // twice is harmless
    }

    [Fact]
    public void A_step_with_a_due_time_runs_then_without_input()
    {
        using var pool = new ForwarderPool(1, name: "test-fwd");
        var (read, _) = Pair();
        var due = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20; // in 50 ms
        ReadingStep? step = null;
        step = new ReadingStep(read, () => Volatile.Read(ref step!.Runs) == 0 ? due : long.MaxValue);
        var watch = Stopwatch.StartNew();
        using var member = pool.Join(new object(), "delayed", step, e => Assert.Fail(e.Message));
        Until(() => Volatile.Read(ref step.Runs) >= 1, "the due step ran");
        Assert.True(watch.ElapsedMilliseconds >= 40, $"ran after {watch.ElapsedMilliseconds} ms, before its time");
        Thread.Sleep(100);
        Assert.Equal(1, Volatile.Read(ref step.Runs));
    }

    [Fact]
    public void The_threads_run_at_the_pools_niceness()
    {
        using var pool = new ForwarderPool(1, name: "test-fwd", nice: 7);
        var (read, write) = Pair();
        string? stat = null;
        var step = new ReadingStep(read) { OnRun = () => stat ??= File.ReadAllText("/proc/thread-self/stat") };
        using var member = pool.Join(new object(), "nice", step, e => Assert.Fail(e.Message));
        Send(write, 1);
        Until(() => Volatile.Read(ref step.Frames) == 1, "the step ran");
        // Field 19 of stat is the niceness; the fields after the command name (in parentheses) start at 3.
        var text = stat!;
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal("7", fields[19 - 3]);
    }

    [Fact]
    public void A_step_without_a_descriptor_is_refused_by_name()
    {
        using var pool = new ForwarderPool(1, name: "test-fwd");
        var e = Assert.Throws<ArgumentException>(() => pool.Join(new object(), "link L1 vm-capture", new ReadingStep(-1), _ => { }));
        Assert.Contains("link L1 vm-capture", e.Message);
        Assert.Equal(0, pool.Threads);
    }

    public void Dispose()
    {
        foreach (var fd in _fds) Libc.close(fd);
    }
}
