using System.Text;
using VNet.Actors.Networks;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>The network of a <c>net load</c>: the file's bytes as the client read them, checked and parsed.</summary>
public static class NetworkContent
{
    /// <summary>The parsed network, or the file's problems (<see cref="NetworkRejected"/>).</summary>
    public readonly record struct Parsed(NetworkDefinition? Network, NetworkRejected? Rejected);

    /// <summary>
    /// Checks <paramref name="bytes"/> against <see cref="XmlFileLimits.Default"/> — size first, before
    /// any parsing — then parses them; every problem names <paramref name="path"/>, line and column.
    /// </summary>
    public static Parsed Parse(string path, byte[] bytes)
    {
        var limits = XmlFileLimits.Default;
        using var stream = new MemoryStream(bytes, writable: false);
        if (BoundedXml.SizeProblem(stream, path, limits, out _) is { } tooLarge) return new(null, new NetworkRejected(path, [tooLarge]));
        // As File.ReadAllText would: UTF-8 unless a byte-order mark says otherwise.
        var text = new StreamReader(new MemoryStream(bytes, writable: false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true).ReadToEnd();
        try
        {
            return new(NetworkFile.Parse(text, path, limits), null);
        }
        catch (NetworkFileException e)
        {
            return new(null, new NetworkRejected(path, [.. e.Problems]));
        }
    }
}
