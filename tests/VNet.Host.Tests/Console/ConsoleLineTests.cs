using VNet.Actors.Commands;
using VNet.Client;

namespace VNet.Host.Tests.Console;

/// <summary>Bounded line reading and every way a request line can be malformed.</summary>
public class ConsoleLineTests
{
    [Fact]
    public async Task A_line_over_the_limit_is_dropped_to_its_end_and_the_next_line_reads_cleanly()
    {
        var text = new string('x', 100_000) + "\nshort\r\n" + new string('y', 10) + "\nlast";
        var reader = new BoundedLineReader(new StringReader(text), 1000);
        var first = await reader.ReadLineAsync();
        Assert.True(first!.Value.TooLong);
        Assert.Equal(100_000, first.Value.Length);
        Assert.Equal("short", (await reader.ReadLineAsync())!.Value.Text);
        Assert.Equal(new string('y', 10), (await reader.ReadLineAsync())!.Value.Text);
        Assert.Equal("last", (await reader.ReadLineAsync())!.Value.Text);
        Assert.Null(await reader.ReadLineAsync());
    }

    [Theory]
    [InlineData("{\"t\":\"run\"}", "needs a 'request' object")]
    [InlineData("{\"t\":\"run\",\"request\":null}", "needs a 'request' object")]
    [InlineData("not json", "malformed request")]
    [InlineData("{\"request\":{}}", "malformed request")]
    [InlineData("{\"t\":\"fly\"}", "malformed request")]
    [InlineData("{\"t\":\"end\",\"exit\":0}", "expected a run or ask request")]
    [InlineData("{\"t\":\"run\",\"request\":{\"palette\":\"net\"}}", "needs a 'palette' and a 'command'")]
    [InlineData("{\"t\":\"run\",\"request\":{\"palette\":\"net\",\"command\":\"load\",\"args\":{\"file\":null}}}", "argument 'file' has no value")]
    [InlineData("{\"t\":\"run\",\"request\":{\"palette\":\"net\",\"command\":\"load\",\"args\":{\"file\":1}}}", "malformed request")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "malformed request")]
    public void Every_malformed_request_line_is_an_error_not_an_exception(string line, string expected)
    {
        var (request, error) = CommandSession.ParseRequest(new BoundedLine(line, line.Length));
        Assert.Null(request);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void An_oversized_line_is_an_error_naming_the_limit_and_a_request_without_args_gets_none()
    {
        var (request, error) = CommandSession.ParseRequest(new BoundedLine(null, 10_000_000));
        Assert.Null(request);
        Assert.Contains($"longer than the limit of {ConsoleLine.MaxLineChars}", error);
        var (ok, none) = CommandSession.ParseRequest(new BoundedLine("{\"request\":{\"palette\":\"cluster\",\"command\":\"show\"},\"t\":\"run\"}", 60));
        Assert.Null(none);
        Assert.Empty(Assert.IsType<ConsoleLine.Run>(ok).Request.Args);
    }

    [Fact]
    public void The_largest_network_file_fits_in_a_request_line()
    {
        var base64 = (VNet.Actors.Networks.XmlFileLimits.DefaultMaxBytes + 2) / 3 * 4;
        Assert.True(base64 + 64 * 1024 < ConsoleLine.MaxLineChars, $"{base64} base64 characters do not fit in {ConsoleLine.MaxLineChars}");
        Assert.True(ConsoleLine.MaxLineChars < 10_000_000);
    }
}
