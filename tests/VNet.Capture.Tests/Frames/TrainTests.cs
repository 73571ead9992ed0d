using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Frames;

public class TrainTests
{
    private static byte[] Capsule(int length, int seed)
    {
        var c = new byte[length];
        new Random(seed).NextBytes(c);
        c[0] = 0x10; // a version-1 capsule header byte, as the data plane would send
        return c;
    }

    [Fact]
    public void A_capsule_cut_into_a_train_comes_back_byte_for_byte()
    {
        var capsule = Capsule(65240, 1);
        var segments = Train.Split(capsule, 1468, 7);
        Assert.Equal(45, segments.Count);
        Assert.All(segments.SkipLast(1), s => Assert.Equal(1472, s.Length));   // equal sizes: what UDP GSO needs
        Assert.Equal(0x21, segments[^1][0]);                                     // version 2, L
        Assert.Equal([0x20, 0x00, 0x00, 0x07], segments[0][..4]);
        using var r = new TrainReassembler(4, 70000);
        for (var i = 0; i < segments.Count - 1; i++)
            Assert.Equal(TrainStatus.Incomplete, r.Add(segments[i], out _, out _));
        Assert.Equal(TrainStatus.Complete, r.Add(segments[^1], out var whole, out var lost));
        Assert.Equal(0, lost);
        Assert.Equal(Convert.ToHexString(capsule), Convert.ToHexString(whole));
    }

    [Fact]
    public void A_train_with_a_missing_segment_is_dropped_whole_and_the_next_train_still_arrives()
    {
        var first = Train.Split(Capsule(5000, 2), 1000, 1);
        var second = Train.Split(Capsule(3000, 3), 1000, 2);
        using var r = new TrainReassembler(4, 70000);
        Assert.Equal(TrainStatus.Incomplete, r.Add(first[0], out _, out _));
        Assert.Equal(TrainStatus.Skipped, r.Add(first[2], out _, out var lost));    // segment 1 never came: lost, counted once
        Assert.Equal(1, lost);
        Assert.Equal(TrainStatus.Skipped, r.Add(first[3], out _, out lost));        // the rest of that train is ignored
        Assert.Equal(0, lost);
        Assert.Equal(TrainStatus.Skipped, r.Add(first[4], out _, out lost));
        Assert.Equal(0, lost);
        foreach (var s in second.SkipLast(1)) Assert.Equal(TrainStatus.Incomplete, r.Add(s, out _, out _));
        Assert.Equal(TrainStatus.Complete, r.Add(second[^1], out var whole, out _));
        Assert.Equal(3000, whole.Length);
    }

    [Fact]
    public void A_new_train_that_starts_before_the_last_one_ended_counts_the_unfinished_one_as_lost()
    {
        var a = Train.Split(Capsule(3000, 4), 1000, 10);
        var b = Train.Split(Capsule(2500, 5), 1000, 11);
        using var r = new TrainReassembler(4, 70000);
        r.Add(a[0], out _, out _);
        r.Add(a[1], out _, out _);
        Assert.Equal(TrainStatus.Incomplete, r.Add(b[0], out _, out var lost));
        Assert.Equal(1, lost);
        r.Add(b[1], out _, out _);
        Assert.Equal(TrainStatus.Complete, r.Add(b[2], out var whole, out _));
        Assert.Equal(Convert.ToHexString(Capsule(2500, 5)), Convert.ToHexString(whole));
    }

    [Fact]
    public void Completed_capsules_stay_put_until_release_and_a_train_in_progress_survives_it()
    {
        var a = Train.Split(Capsule(2000, 6), 1000, 1);
        var b = Train.Split(Capsule(2000, 7), 1000, 2);
        var c = Train.Split(Capsule(3000, 8), 1000, 3);
        using var r = new TrainReassembler(2, 4000);
        r.Add(a[0], out _, out _);
        r.Add(a[1], out var wholeA, out _);
        var copyA = wholeA.ToArray();
        r.Add(b[0], out _, out _);
        r.Add(b[1], out var wholeB, out _);
        Assert.True(r.IsFull);
        Assert.Equal(Convert.ToHexString(Capsule(2000, 6)), Convert.ToHexString(copyA));
        Assert.Equal(Convert.ToHexString(Capsule(2000, 7)), Convert.ToHexString(wholeB));
        Assert.Equal(TrainStatus.Dropped, r.Add(c[0], out _, out _));              // no room before release
        r.Release();
        r.Add(c[0], out _, out _);
        r.Add(c[1], out _, out _);
        r.Release();                                                                // c is in progress in region 0 already
        Assert.Equal(TrainStatus.Complete, r.Add(c[2], out var wholeC, out _));
        Assert.Equal(Convert.ToHexString(Capsule(3000, 8)), Convert.ToHexString(wholeC));
    }

    [Fact]
    public void Garbage_and_oversized_trains_are_dropped_without_harm()
    {
        using var r = new TrainReassembler(2, 2500);
        Assert.Equal(TrainStatus.Dropped, r.Add([0x20, 0x00], out _, out _));              // shorter than a header
        Assert.Equal(TrainStatus.Dropped, r.Add([0x10, 0, 0, 4, 1, 2, 3, 4], out _, out _)); // a capsule, not a segment
        var big = Train.Split(Capsule(3000, 9), 1000, 5);
        r.Add(big[0], out _, out _);
        r.Add(big[1], out _, out _);
        Assert.Equal(TrainStatus.Skipped, r.Add(big[2], out _, out var lost));           // 3000 > 2500 bytes of room
        Assert.Equal(1, lost);
        var fuzz = new Random(10);
        for (var i = 0; i < 20000; i++)
        {
            var d = new byte[fuzz.Next(0, 40)];
            fuzz.NextBytes(d);
            if (d.Length > 0) d[0] = (byte)(0x20 | (d[0] & 1));
            var status = r.Add(d, out var capsule, out _);
            if (status == TrainStatus.Complete) Assert.InRange(capsule.Length, 0, 2500);
            if (i % 100 == 0) r.Release();
        }
    }

    [Fact]
    public void Trains_of_several_senders_interleaved_are_each_put_back_together()
    {
        var fromA = Train.Split(Capsule(4000, 11), 1000, 1);
        var fromB = Train.Split(Capsule(3500, 12), 1000, 1);   // same train number, another sender
        using var r = new TrainReassembler(4, 70000);
        var done = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            if (i < fromA.Count && r.Add(0x0a000001, fromA[i], out var a, out _) == TrainStatus.Complete) done.Add(Convert.ToHexString(a));
            if (i < fromB.Count && r.Add(0x0a000002, fromB[i], out var b, out _) == TrainStatus.Complete) done.Add(Convert.ToHexString(b));
        }
        Assert.Equal([Convert.ToHexString(Capsule(4000, 11)), Convert.ToHexString(Capsule(3500, 12))], done);
        // A release while both are in progress keeps both.
        var c = Train.Split(Capsule(2500, 13), 1000, 2);
        var d = Train.Split(Capsule(2500, 14), 1000, 2);
        r.Add(0x0a000002, d[0], out _, out _);
        r.Add(0x0a000001, c[0], out _, out _);
        r.Release();
        r.Add(0x0a000001, c[1], out _, out _);
        r.Add(0x0a000002, d[1], out _, out _);
        Assert.Equal(TrainStatus.Complete, r.Add(0x0a000001, c[2], out var wholeC, out _));
        Assert.Equal(Convert.ToHexString(Capsule(2500, 13)), Convert.ToHexString(wholeC));
        Assert.Equal(TrainStatus.Complete, r.Add(0x0a000002, d[2], out var wholeD, out _));
        Assert.Equal(Convert.ToHexString(Capsule(2500, 14)), Convert.ToHexString(wholeD));
    }
}
