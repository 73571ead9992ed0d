// The VNet benchmark: `sudo ./vnet bench [--quick]`; see bench/README.md.
return await VNet.Bench.BenchCommand.RunAsync(args);
