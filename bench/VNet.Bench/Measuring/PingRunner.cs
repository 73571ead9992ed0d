using System.Globalization;
using System.Text.RegularExpressions;
using VNet.Bench.Lab;
using VNet.Host.Labs;

namespace VNet.Bench.Measuring;

/// <summary>Round-trip times of one ping run: every reply's time, plus ping's own summary.</summary>
public sealed record PingOutcome(int Sent, int Received, double MedianMs, double AvgMs, double MdevMs, double MinMs, double MaxMs, List<double> RttsMs);

/// <summary>ping between lab namespaces, keeping every reply's time so the median can be taken.</summary>
public static partial class PingRunner
{
    /// <summary>Sends <paramref name="count"/> echo requests <paramref name="interval"/> seconds apart.</summary>
    public static async Task<PingOutcome> RunAsync(string netns, string target, int count, double interval, CancellationToken cancel, int size = 56, string? pattern = null)
    {
        var args = new List<string> { "ping", "-n", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", interval.ToString(CultureInfo.InvariantCulture), "-W", "2", "-s", size.ToString(CultureInfo.InvariantCulture) };
        if (pattern is not null) args.AddRange(["-p", pattern]);
        args.Add(target);
        var r = await Proc.InNetnsAsync(netns, args, TimeSpan.FromSeconds(count * interval + 10), cancel);
        return Parse(r.Output);
    }

    /// <summary>Parses ping's reply lines and summary.</summary>
    public static PingOutcome Parse(string output)
    {
        var summary = Measurements.ParsePing(output);
        var rtts = ReplyTime().Matches(output).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        return new PingOutcome(summary.Sent, summary.Received, Stats.Median(rtts), summary.AvgMs, summary.MdevMs, summary.MinMs, summary.MaxMs, rtts);
    }

    /// <summary>Waits until <paramref name="target"/> answers from <paramref name="netns"/>; false after <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitForReplyAsync(string netns, string target, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var r = await Proc.InNetnsAsync(netns, ["ping", "-n", "-q", "-c", "1", "-W", "1", target], TimeSpan.FromSeconds(5), cancel);
            if (r.Exit == 0) return true;
            await Task.Delay(200, cancel);
        }
        return false;
    }

    [GeneratedRegex(@"time=([\d.]+) ms")]
    private static partial Regex ReplyTime();
}
