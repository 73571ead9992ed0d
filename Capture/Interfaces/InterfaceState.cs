namespace VNet.Capture.Interfaces;

/// <summary>
/// A network interface of this host's namespace as netlink describes it: its kernel index (a new
/// one each time an interface of that name is created), whether it is administratively up
/// (IFF_UP) and its MTU.
/// </summary>
public sealed record InterfaceState(string Name, int Index, bool Up, int Mtu);
