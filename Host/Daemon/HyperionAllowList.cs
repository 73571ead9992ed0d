using Hyperion;

namespace VNet.Host.Daemon;

/// <summary>
/// The types Hyperion may instantiate from the wire: VNet's messages and value types, the
/// immutable collections and primitives they are made of, and Akka's actor-ref surrogate.
/// Anything else in a peer's payload is refused, so a crafted message cannot make a node
/// construct arbitrary types.
/// </summary>
public sealed class HyperionAllowList : ITypeFilter
{
    private static readonly string[] Prefixes =
    [
        "VNet.Messages.",
        "System.Collections.Immutable.",
        "System.String", "System.Int32", "System.Int64", "System.UInt64", "System.Double", "System.Boolean",
        "System.Guid", "System.DateTime", "System.TimeSpan", "System.Nullable`1", "System.Byte",
        "System.Collections.Generic.KeyValuePair`2", "System.Collections.Generic.GenericEqualityComparer`1",
        "System.Collections.Generic.ObjectEqualityComparer`1", "System.Collections.Generic.EqualityComparer`1",
        "System.Collections.Generic.Comparer`1", "System.Collections.Generic.GenericComparer`1",
        "System.StringComparer", "System.OrdinalComparer", "System.Collections.Generic.NonRandomizedStringEqualityComparer",
        "Akka.Actor.ActorRefBase+Surrogate", "Akka.Actor.ActorPath+Surrogate", "Akka.Actor.IActorRef",
    ];

    /// <summary>Names refused so far (for the log and tests).</summary>
    public static readonly System.Collections.Concurrent.ConcurrentBag<string> Refused = new();

    /// <inheritdoc/>
    public bool IsAllowed(string typeName)
    {
        if (Check(typeName.AsSpan())) return true;
        Refused.Add(typeName);
        return false;
    }

    /// <summary>
    /// Checks an assembly-qualified name and, for generics, every type argument
    /// (<c>Outer`1[[Arg, Asm]], Asm</c>): an allowed outer type must not smuggle in a refused one.
    /// </summary>
    private static bool Check(ReadOnlySpan<char> name)
    {
        name = name.Trim();
        var bracket = name.IndexOf('[');
        var comma = name.IndexOf(',');
        var end = bracket >= 0 && (comma < 0 || bracket < comma) ? bracket : comma >= 0 ? comma : name.Length;
        var outer = name[..end];
        if (outer.EndsWith("[]")) outer = outer[..^2];
        var allowed = false;
        foreach (var prefix in Prefixes)
            if (outer.StartsWith(prefix, StringComparison.Ordinal)) { allowed = true; break; }
        if (!allowed) return false;
        if (bracket < 0 || bracket != end) return true;
        // Walk the [[...],[...]] argument list, tracking depth.
        var depth = 0;
        var start = -1;
        for (var i = bracket; i < name.Length; i++)
        {
            switch (name[i])
            {
                case '[':
                    depth++;
                    if (depth == 2) start = i + 1;
                    break;
                case ']':
                    if (depth == 2 && start >= 0 && !Check(name[start..i])) return false;
                    depth--;
                    if (depth == 0) return true;
                    break;
            }
        }
        return true;
    }
}
