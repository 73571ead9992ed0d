using Akka.Event;
using VNet.Actors.Logs;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>The <c>log</c> requests, answered from this node's own log (<see cref="NodeLog"/>).</summary>
internal sealed class LogRequests(CommandContext context)
{
    private NodeLog Log => NodeLog.Get(context.System);

    /// <summary>The recent lines at the level asked, then new ones until the time is up or the request is cancelled.</summary>
    public async Task<ICommandReply> TailAsync(TailLog request, Func<ICommandItem, Task> emit, CancellationToken cancel)
    {
        var lines = Math.Clamp(request.Lines, 0, TailLog.MaxLines);
        var (recent, follower) = Log.Ring.Follow(lines, request.Level);
        using (follower)
        {
            foreach (var line in recent) await emit(line);
            var shown = recent.Count;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (request.Seconds is { } seconds) timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(seconds, 0.1, CaptureLink.MaxSeconds)));
            try
            {
                await foreach (var line in follower.Lines.ReadAllAsync(timeout.Token))
                {
                    if (line.Level < request.Level) continue;
                    await emit(line);
                    shown++;
                }
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
            }
            cancel.ThrowIfCancellationRequested();
            return new LogTailEnded(shown);
        }
    }

    /// <summary>The node's level.</summary>
    public LogLevelIs Level() => new(context.NodeName, Log.Level);

    /// <summary>Changes the node's level; the change itself is logged at INFO when either level shows INFO lines.</summary>
    public LogLevelSet SetLevel(SetLogLevel request)
    {
        var log = Log;
        var previous = log.Level;
        var line = $"log level set to {Name(request.Level)} (was {Name(previous)}) from the console";
        // The line goes out at whichever of the two levels still shows it.
        if (request.Level > previous) context.System.Log.Info(line);
        log.Level = request.Level;
        if (request.Level <= previous) context.System.Log.Info(line);
        return new LogLevelSet(context.NodeName, previous, request.Level);
    }

    /// <summary>A level as the console writes it.</summary>
    public static string Name(NodeLogLevel level) => level.ToString().ToLowerInvariant();
}
