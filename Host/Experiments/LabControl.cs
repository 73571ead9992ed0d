using System.Globalization;
using VNet.Host.Labs;

namespace VNet.Host.Experiments;

/// <summary>The lab an experiment runs on: where its VMs are, and the lab steps (host kill/stop/start, cut/heal).</summary>
public sealed class LabControl(LabDefinition lab, LabState state)
{
    private readonly Lock _gate = new();

    /// <summary>The lab's definition.</summary>
    public LabDefinition Lab { get; } = lab;

    /// <summary>The running lab's state (updated when a host's vnetd is started again).</summary>
    public LabState State { get; private set; } = state;

    /// <summary>The namespace of a VM.</summary>
    public string Netns(string vm) => State.Prefix + vm;

    /// <summary>A VM's address (lab VMs have one).</summary>
    public string Address(string vm) => Lab.Vms.First(v => v.Name == vm).Address?.ToString()
        ?? throw new ShellException($"VM {vm} has no address in {Lab.File}; iperf and ping need one");

    /// <summary>Runs a lab step; returns what happened, as the lab commands print it.</summary>
    public string Apply(HostStep step)
    {
        lock (_gate)
        {
            switch (step.Action)
            {
                case HostAction.Kill or HostAction.Stop:
                    State = LabRunner.StopHost(State, step.Host, kill: step.Action == HostAction.Kill);
                    return $"vnetd of {step.Host} {(step.Action == HostAction.Kill ? "killed (-9)" : "stopped")}";
                case HostAction.Start:
                    State = LabRunner.StartHost(Lab, State, step.Host);
                    return $"vnetd of {step.Host} started (pid {State.Processes.First(p => p.Name == $"vnetd-{step.Host}").Pid})";
                case HostAction.Cut:
                    LabRunner.CutHost(Lab, State, step.Host);
                    return $"{step.Host} cut off the substrate";
                default:
                    LabRunner.HealHost(State, step.Host);
                    return $"{step.Host}'s substrate interfaces pass traffic again";
            }
        }
    }

    /// <summary>Gives the VMs of a link the link's VM MTU, as <c>lab up</c> does for the lab file's links.</summary>
    public void SetMtu(IEnumerable<string> vms, int mtu)
    {
        var text = mtu.ToString(CultureInfo.InvariantCulture);
        foreach (var vm in Lab.Vms.Where(v => vms.Contains(v.Name)))
        {
            Shell.Ip("-n", State.Prefix + vm.Name, "link", "set", "eth0", "mtu", text);
            Shell.Ip("-n", State.Prefix + vm.Host, "link", "set", vm.Name, "mtu", text);
        }
    }
}
