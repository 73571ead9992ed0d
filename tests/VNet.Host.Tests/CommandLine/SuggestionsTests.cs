using VNet.Host.CommandLine;

namespace VNet.Host.Tests.CommandLine;

public sealed class SuggestionsTests
{
    private static readonly string[] LabVerbs = ["up", "down", "exec", "list", "inspect", "pingall", "iperf", "graph", "metrics", "top", "web", "stop", "kill", "start", "restart", "cut", "heal"];

    [Theory]
    [InlineData("inpsect", "inspect")] // two letters swapped: one edit
    [InlineData("insepct", "inspect")]
    [InlineData("pingal", "pingall")]
    [InlineData("grpah", "graph")]
    [InlineData("lst", "list")]
    [InlineData("restrat", "restart")]
    public void A_mistyped_verb_gets_the_verb_it_is_close_to(string typed, string meant)
    {
        Assert.Equal([meant], Suggestions.Closest(typed, LabVerbs));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("zz")]
    public void A_word_close_to_nothing_gets_no_suggestion(string typed)
    {
        Assert.Empty(Suggestions.Closest(typed, LabVerbs));
        Assert.Equal("", Suggestions.DidYouMean(typed, LabVerbs));
    }

    [Fact]
    public void Equally_close_names_are_all_offered()
    {
        Assert.Equal(" (did you mean stop or top?)", Suggestions.DidYouMean("sop", ["stop", "top", "inspect"]));
    }

    [Fact]
    public void A_switch_is_matched_with_its_dashes()
    {
        Assert.Equal(["--count"], Suggestions.Closest("--cuont", ["--count", "--lab", "--help"]));
    }

    [Fact]
    public void The_start_of_a_name_suggests_it()
    {
        Assert.Equal(["inspect"], Suggestions.Closest("insp", LabVerbs));
    }

    [Theory]
    [InlineData("abc", "abc", 0)]
    [InlineData("abc", "acb", 1)]
    [InlineData("abc", "abcd", 1)]
    [InlineData("kitten", "sitting", 3)]
    public void Distance_counts_insertions_deletions_substitutions_and_swaps(string a, string b, int expected)
    {
        Assert.Equal(expected, Suggestions.Distance(a, b));
    }
}
