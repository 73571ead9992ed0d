using VNet.Capture.Forwarding;

namespace VNet.Capture.Tests.Forwarding;

public class DelayLineTests
{
    [Fact]
    public void Capsules_come_out_in_order_with_their_departure_across_many_wraps()
    {
        using var line = new DelayLine(4096);
        var rng = new Random(1);
        var expected = new Queue<(long, byte[])>();
        long t = 0;
        for (var round = 0; round < 5000; round++)
        {
            // Fill with random-sized capsules until full, then drain a random number.
            while (true)
            {
                var capsule = new byte[rng.Next(1, 700)];
                rng.NextBytes(capsule);
                if (!line.TryEnqueue(capsule, ++t)) break;
                expected.Enqueue((t, capsule));
            }
            var drain = rng.Next(1, line.Count + 1);
            for (var i = 0; i < drain; i++)
            {
                var (departure, bytes) = expected.Dequeue();
                Assert.Equal(departure, line.HeadDeparture);
                Assert.Equal(bytes, line.Head.ToArray());
                line.Dequeue();
            }
            Assert.Equal(expected.Count, line.Count);
        }
    }

    [Fact]
    public void A_full_line_refuses_and_keeps_what_it_has()
    {
        using var line = new DelayLine(1024);
        var n = 0;
        while (line.TryEnqueue(new byte[100], n)) n++;
        Assert.Equal(9, n); // 9 × 112 bytes fit in 1024
        Assert.Equal(0, line.HeadDeparture);
        Assert.Equal(9, line.Count);
    }
}
