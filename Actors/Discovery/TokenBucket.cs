namespace VNet.Actors.Discovery;

/// <summary>A token bucket over explicit times (no clock inside): <c>rate</c> tokens per second, at most <c>burst</c> saved.</summary>
public sealed class TokenBucket(double rate, double burst)
{
    private readonly Lock _gate = new();
    private readonly double _burst = burst;
    private double _tokens = burst;
    private DateTime _last = DateTime.MinValue;

    /// <summary>Takes one token at <paramref name="now"/>; false when none is left.</summary>
    public bool TryTake(DateTime now)
    {
        lock (_gate)
        {
            if (_last != DateTime.MinValue && now > _last) _tokens = Math.Min(_burst, _tokens + (now - _last).TotalSeconds * rate);
            _last = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}
