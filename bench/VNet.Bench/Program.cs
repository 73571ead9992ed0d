// The VNet benchmark (issue #6): `sudo ./vnet bench [--quick]`; see bench/README.md.
return await VNet.Bench.BenchCommand.RunAsync(args);
