using System.Text;
using System.Xml;
using System.Xml.Linq;
using VNet.Messages;

namespace VNet.Actors.Networks;

/// <summary>
/// How large a network file or lab file may be, in every dimension a hostile file could grow in.
/// Checked while streaming, before anything builds a document: a file past any limit is refused at
/// the line and column where it crossed it, so no file can exhaust the stack (nesting) or the
/// memory (size, counts, long strings) of the process that reads it. The defaults are far above
/// what a real network needs (its elements are at most four deep, its values a few dozen characters).
/// </summary>
/// <param name="MaxBytes">Size of the file in UTF-8 bytes.</param>
/// <param name="MaxDepth">Nesting of elements (the root element is depth 1).</param>
/// <param name="MaxElements">Elements in the whole file.</param>
/// <param name="MaxAttributes">Attributes on one element.</param>
/// <param name="MaxAttributeLength">Characters in one attribute value.</param>
/// <param name="MaxNameLength">Characters in one element or attribute name.</param>
/// <param name="MaxTextLength">Characters in one comment, text, CDATA, whitespace or processing instruction node.</param>
public sealed record XmlFileLimits(
    long MaxBytes = XmlFileLimits.DefaultMaxBytes,
    int MaxDepth = 32,
    int MaxElements = 100_000,
    int MaxAttributes = 32,
    int MaxAttributeLength = 1024,
    int MaxNameLength = 256,
    int MaxTextLength = 64 * 1024)
{
    /// <summary>4 MiB: a network of tens of thousands of links.</summary>
    public const long DefaultMaxBytes = 4L << 20;

    /// <summary>The limits network files and lab files are read with.</summary>
    public static XmlFileLimits Default { get; } = new();
}

/// <summary>
/// Reads an XML file within <see cref="XmlFileLimits"/>: one streaming pass checks the limits, DTDs
/// and entities (refused) and namespaces (only the format's own), and only a file that passes is
/// loaded into an <see cref="XDocument"/>, which is then bounded too.
/// </summary>
public static class BoundedXml
{
    /// <summary>
    /// Checks <paramref name="xml"/> and loads it with line information; throws
    /// <see cref="NetworkFileException"/> naming file:line:column of every problem found before the
    /// first limit (a limit stops the reading there).
    /// </summary>
    /// <param name="xml">The file's text.</param>
    /// <param name="file">The file's name, for the messages.</param>
    /// <param name="limits">The limits; <see cref="XmlFileLimits.Default"/> when null.</param>
    /// <param name="expectedNamespace">The format's namespace; "" for a format without one (every element and attribute must then have none).</param>
    public static XDocument Load(string xml, string file, XmlFileLimits? limits = null, string expectedNamespace = "")
    {
        limits ??= XmlFileLimits.Default;
        if (SizeProblem(xml, file, limits) is { } tooLarge) throw new NetworkFileException([tooLarge]);
        var problems = new List<FileProblem>();
        var reader = XmlReader.Create(new StringReader(xml), Settings(limits));
        try
        {
            using (reader)
                Scan(reader, file, limits, expectedNamespace, problems);
            if (problems.Count > 0) throw new NetworkFileException(problems);
            using var loader = XmlReader.Create(new StringReader(xml), Settings(limits));
            return XDocument.Load(loader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            // Some refusals (a DTD) carry no position; the reader is still where it stopped.
            var info = (IXmlLineInfo)reader;
            var (line, column) = e.LineNumber > 0 ? (e.LineNumber, e.LinePosition) : (Math.Max(1, info.LineNumber), Math.Max(1, info.LinePosition));
            problems.Add(new FileProblem(file, line, column, $"malformed XML: {e.Message}"));
            throw new NetworkFileException(problems);
        }
    }

    /// <summary>
    /// The problem of a text longer than <see cref="XmlFileLimits.MaxBytes"/> UTF-8 bytes, at the line
    /// and column where it crosses the limit; null when it is within the limit.
    /// </summary>
    public static FileProblem? SizeProblem(string text, string file, XmlFileLimits limits)
    {
        // Cheap common case: every char is at most 3 UTF-8 bytes (a surrogate pair is 4 for 2 chars).
        if ((long)text.Length * 3 <= limits.MaxBytes) return null;
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes <= limits.MaxBytes) return null;
        long seen = 0;
        int line = 1, column = 1, i = 0;
        for (; i < text.Length && seen <= limits.MaxBytes; i++)
        {
            var c = text[i];
            seen += c < 0x80 ? 1 : c < 0x800 ? 2 : char.IsSurrogate(c) ? 2 : 3;
            if (c == '\n') { line++; column = 1; }
            else column++;
        }
        return new FileProblem(file, line, column, $"the file is {bytes} bytes, larger than the limit of {limits.MaxBytes} bytes");
    }

    /// <summary>
    /// The problem of a stream longer than <see cref="XmlFileLimits.MaxBytes"/>, reading at most one
    /// byte more than the limit; null when it is within the limit. Used by the client before it sends a file.
    /// </summary>
    public static FileProblem? SizeProblem(Stream stream, string file, XmlFileLimits limits, out byte[] content)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while (buffer.Length <= limits.MaxBytes && (n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limits.MaxBytes + 1 - buffer.Length))) > 0)
            buffer.Write(chunk, 0, n);
        content = buffer.ToArray();
        if (content.Length <= limits.MaxBytes) return null;
        var line = 1 + content.AsSpan(0, (int)limits.MaxBytes).Count((byte)'\n');
        var lastNewline = content.AsSpan(0, (int)limits.MaxBytes).LastIndexOf((byte)'\n');
        var column = (int)limits.MaxBytes - lastNewline;
        content = [];
        return new FileProblem(file, line, column, $"the file is larger than the limit of {limits.MaxBytes} bytes");
    }

    private static XmlReaderSettings Settings(XmlFileLimits limits) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        // Chars of a string are never more than its UTF-8 bytes, so this is at least as strict as MaxBytes.
        MaxCharactersInDocument = limits.MaxBytes,
        MaxCharactersFromEntities = 0,
        IgnoreWhitespace = false,
        CloseInput = true,
    };

    private static void Scan(XmlReader reader, string file, XmlFileLimits limits, string expectedNamespace, List<FileProblem> problems)
    {
        var info = (IXmlLineInfo)reader;
        FileProblem Here(string message) => new(file, info.LineNumber, info.LinePosition, message);
        void Stop(string message)
        {
            problems.Add(Here(message));
            throw new NetworkFileException(problems);
        }
        var elements = 0;
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    if (reader.Depth + 1 > limits.MaxDepth) Stop($"elements are nested deeper than the limit of {limits.MaxDepth}");
                    if (++elements > limits.MaxElements) Stop($"the file has more than the limit of {limits.MaxElements} elements");
                    if (reader.Name.Length > limits.MaxNameLength) Stop($"an element name is longer than the limit of {limits.MaxNameLength} characters");
                    if (reader.NamespaceURI != expectedNamespace)
                        problems.Add(Here(expectedNamespace.Length == 0
                            ? $"<{reader.LocalName}> is in namespace '{reader.NamespaceURI}'; this format has no namespace"
                            : $"<{reader.LocalName}> is in namespace '{reader.NamespaceURI}', expected '{expectedNamespace}'"));
                    if (reader.AttributeCount > limits.MaxAttributes) Stop($"<{reader.LocalName}> has {reader.AttributeCount} attributes, more than the limit of {limits.MaxAttributes}");
                    var element = reader.LocalName;
                    while (reader.MoveToNextAttribute())
                    {
                        if (reader.Name.Length > limits.MaxNameLength) Stop($"an attribute name of <{element}> is longer than the limit of {limits.MaxNameLength} characters");
                        if (reader.Value.Length > limits.MaxAttributeLength) Stop($"attribute '{reader.LocalName}' of <{element}> is longer than the limit of {limits.MaxAttributeLength} characters");
                        // Namespace declarations are allowed (they are how a foreign namespace is named, and refused
                        // above on the element that uses it); attributes in any namespace are not this format's.
                        if (reader.NamespaceURI is { Length: > 0 } ns && ns != "http://www.w3.org/2000/xmlns/" && ns != expectedNamespace)
                            problems.Add(Here($"attribute '{reader.Name}' of <{element}> is in namespace '{ns}', which this format does not use"));
                    }
                    reader.MoveToElement();
                    break;
                case XmlNodeType.Comment or XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace
                    or XmlNodeType.SignificantWhitespace or XmlNodeType.ProcessingInstruction:
                    if (reader.Value.Length > limits.MaxTextLength)
                        Stop($"a {Describe(reader.NodeType)} is {reader.Value.Length} characters, longer than the limit of {limits.MaxTextLength}");
                    break;
            }
            if (problems.Count >= 50) throw new NetworkFileException(problems);
        }
    }

    private static string Describe(XmlNodeType type) => type switch
    {
        XmlNodeType.Comment => "comment",
        XmlNodeType.CDATA => "CDATA section",
        XmlNodeType.ProcessingInstruction => "processing instruction",
        XmlNodeType.Text => "text",
        _ => "run of whitespace",
    };
}
