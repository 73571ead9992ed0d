using System.Globalization;

namespace VNet.Messages;

/// <summary>A 48-bit IEEE 802 MAC address, stored in the low 48 bits of a <see cref="ulong"/>.</summary>
public readonly record struct MacAddress(ulong Value) : IComparable<MacAddress>
{
    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c> or <c>aa-bb-cc-dd-ee-ff</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null) return false;
        var parts = text.Trim().Split(':', '-');
        if (parts.Length != 6) return false;
        ulong value = 0;
        foreach (var part in parts)
        {
            if (part.Length is < 1 or > 2 ||
                !byte.TryParse(part, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                return false;
            value = (value << 8) | b;
        }
        mac = new MacAddress(value);
        return true;
    }

    /// <summary>Parses a MAC address or throws a <see cref="FormatException"/> that quotes the bad text.</summary>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (expected six hex octets such as 02:00:00:00:00:01)");

    /// <summary>Reads a MAC address from six bytes in network order.</summary>
    public static MacAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        for (var i = 0; i < 6; i++) value = (value << 8) | bytes[i];
        return new MacAddress(value);
    }

    /// <summary>Writes the address as six bytes in network order.</summary>
    public void WriteTo(Span<byte> destination)
    {
        for (var i = 5; i >= 0; i--) destination[5 - i] = (byte)(Value >> (8 * i));
    }

    /// <summary>True for group (multicast and broadcast) addresses: the I/G bit of the first octet.</summary>
    public bool IsGroup => ((Value >> 40) & 1) == 1;

    /// <inheritdoc/>
    public int CompareTo(MacAddress other) => Value.CompareTo(other.Value);

    /// <inheritdoc/>
    public override string ToString()
    {
        Span<char> text = stackalloc char[17];
        for (var i = 0; i < 6; i++)
        {
            var b = (byte)(Value >> (8 * (5 - i)));
            b.TryFormat(text[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
            if (i < 5) text[i * 3 + 2] = ':';
        }
        return new string(text);
    }
}
