using VNet.Bench.Lab;

namespace VNet.Bench.Contenders;

/// <summary>The substrate, host to host through the router: what any tunnel rides on (the paper's reference bar).</summary>
public sealed class SubstrateContender : Contender
{
    /// <inheritdoc/>
    public override string Name => "substrate";

    /// <inheritdoc/>
    public override ContenderFamily Family => ContenderFamily.Substrate;

    /// <inheritdoc/>
    public override string Description => "h1 → h2 through the router, no tunnel (substrate veths keep their default MTU 1500 and offloads)";

    /// <inheritdoc/>
    public override bool BetweenVms => false;

    /// <inheritdoc/>
    public override double SetupSeconds => 0;

    /// <inheritdoc/>
    public override Task SetUpAsync(BenchLab lab, CancellationToken cancel) => Task.CompletedTask;

    /// <inheritdoc/>
    public override Task TearDownAsync(BenchLab lab) => Task.CompletedTask;
}
