using System.Text;

namespace VNet.Client;

/// <summary>
/// One line read by <see cref="BoundedLineReader"/>: its text, or, when it was longer than the
/// limit, no text and how long it was (the rest of it was read and dropped).
/// </summary>
public readonly record struct BoundedLine(string? Text, long Length)
{
    /// <summary>The line was longer than the reader's limit; <see cref="Text"/> is null.</summary>
    public bool TooLong => Text is null;
}

/// <summary>
/// Reads newline-terminated lines of at most a given number of characters. A longer line is read to
/// its end and dropped rather than buffered, so the peer cannot make this side hold more than the
/// limit, and the next line starts cleanly (the connection stays usable).
/// </summary>
public sealed class BoundedLineReader(TextReader reader, int maxChars)
{
    private readonly char[] _buffer = new char[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>The limit, in characters.</summary>
    public int MaxChars => maxChars;

    /// <summary>The next line (without its line end), or null at the end of the stream.</summary>
    public async ValueTask<BoundedLine?> ReadLineAsync(CancellationToken cancel = default)
    {
        var text = new StringBuilder();
        long length = 0;
        var any = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await reader.ReadAsync(_buffer.AsMemory(), cancel);
                if (_end == 0) return any ? Finish(text, length) : null;
            }
            any = true;
            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf('\n');
            var take = newline < 0 ? span.Length : newline;
            length += take;
            if (length <= maxChars) text.Append(span[..take]);
            else text.Clear();
            _start += newline < 0 ? take : take + 1;
            if (newline >= 0) return Finish(text, length);
        }
    }

    private BoundedLine Finish(StringBuilder text, long length)
    {
        if (length > maxChars) return new BoundedLine(null, length);
        if (text.Length > 0 && text[^1] == '\r') text.Length--;
        return new BoundedLine(text.ToString(), length);
    }
}
