namespace VNet.Capture.Interfaces;

/// <summary>
/// What netlink says about one interface name, message by message (pure: the watcher feeds it).
/// An interface that is deleted, or renamed away (its index shows up under another name), is
/// absent; one created again under the name is present with its new index. A dump answers the
/// first question: the name not listed before NLMSG_DONE means absent.
/// </summary>
public sealed class InterfaceTracker(string name)
{
    private bool _dumping;
    private bool _seenInDump;

    /// <summary>The interface name followed.</summary>
    public string Name { get; } = name;

    /// <summary>The interface as last seen; null while it is absent.</summary>
    public InterfaceState? Current { get; private set; }

    /// <summary>True once a dump (or an event naming the interface) has said whether it exists.</summary>
    public bool Known { get; private set; }

    /// <summary>A dump request was sent: the next <see cref="LinkMessageKind.DumpDone"/> settles presence.</summary>
    public void BeginDump()
    {
        _dumping = true;
        _seenInDump = false;
    }

    /// <summary>Applies one message; true when <see cref="Current"/> (or <see cref="Known"/>) changed.</summary>
    public bool Apply(in LinkMessage message)
    {
        switch (message.Kind)
        {
            case LinkMessageKind.New when message.Interface!.Name == Name:
            {
                if (_dumping) _seenInDump = true;
                var changed = !Known || Current != message.Interface;
                Current = message.Interface;
                Known = true;
                return changed;
            }
            case LinkMessageKind.New when Current is { } c && message.Interface!.Index == c.Index:
                Current = null; // renamed: the name is free
                return true;
            case LinkMessageKind.Deleted when message.Interface!.Name == Name || (Current is { } d && message.Interface.Index == d.Index):
            {
                var changed = !Known || Current is not null;
                Current = null;
                Known = true;
                return changed;
            }
            case LinkMessageKind.DumpDone when _dumping:
            {
                _dumping = false;
                var changed = !Known || (!_seenInDump && Current is not null);
                if (!_seenInDump) Current = null;
                Known = true;
                return changed;
            }
            default:
                return false;
        }
    }
}
