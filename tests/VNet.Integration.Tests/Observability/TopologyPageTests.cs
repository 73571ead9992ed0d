using PuppeteerSharp;
using VNet.Host.Labs;
using VNet.Host.Observability;
using VNet.Integration.Tests.Labs;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Observability;

/// <summary>
/// The node's topology page in Debian's headless Chromium (driven by PuppeteerSharp over its
/// DevTools protocol, no browser download), and <c>vnet top</c> in a pseudo-terminal, with iperf3
/// traffic through link l1 of labs/two-hosts.
/// </summary>
public sealed class TopologyPageTests(TwoHostsLab lab, ITestOutputHelper output) : IClassFixture<TwoHostsLab>
{
    private LabSession Session => lab.Session;

    private static string Chromium =>
        new[] { "/usr/lib/chromium/chromium", "/usr/bin/chromium" }.FirstOrDefault(File.Exists)
        ?? throw new Xunit.Sdk.XunitException("Debian's chromium is not installed (`./vnet test` installs it; or apt-get install -y chromium)");

    [Fact]
    public async Task The_page_shows_hosts_vms_and_the_busy_link_with_a_rate_and_its_counters_on_click()
    {
        // The node listens on its namespace's loopback; the test reaches it as `vnet lab web` does.
        using var forward = new NetnsForwarder(Session.Ns("h1"), 0, 9464);
        using var stop = new CancellationTokenSource();
        var forwarding = forward.RunAsync(stop.Token);
        var profile = Directory.CreateTempSubdirectory("vnet-chromium-");
        // The traffic starts once the page is up: a browser's first start can take longer than a run.
        var traffic = Task.CompletedTask;
        try
        {
            await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                UserDataDir = profile.FullName,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
                DefaultViewport = new ViewPortOptions { Width = 1400, Height = 800 },
                Timeout = 60_000,
            });
            await using var page = await browser.NewPageAsync();
            await page.GoToAsync($"http://{forward.Local}/", new NavigationOptions { Timeout = 30_000 });
            traffic = LabMetrics.TrafficAsync(Session, 20, 5212);
            // Busy: iperf3 moves hundreds of Mbit/s; ARP and iperf3's control connection alone stay far below 1 Mbit/s.
            await page.WaitForFunctionAsync("() => { const r = document.querySelector('tr[data-link=\"l1\"]'); return r && Number(r.dataset.rate) > 1e6; }",
                new WaitForFunctionOptions { Timeout = 45_000, PollingInterval = 250 });

            var hosts = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('[data-host]')].map(e => e.dataset.host)");
            var vms = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('[data-vm]')].map(e => e.dataset.vm)");
            var graph = await page.EvaluateExpressionAsync<string[]>("cy.elements().map(e => e.id())");
            var rate = await page.EvaluateExpressionAsync<double>("Number(document.querySelector('tr[data-link=\"l1\"]').dataset.rate)");
            output.WriteLine($"hosts {string.Join(",", hosts)}; vms {string.Join(",", vms)}; graph {string.Join(",", graph)}; l1 {LinkRates.Format(rate)}");
            Assert.Equal(["h1", "h2"], hosts.Order().ToArray());
            Assert.Equal(["vm1", "vm2"], vms.Order().ToArray());
            Assert.Contains("host:h1", graph);
            Assert.Contains("vm:vm2", graph);
            Assert.Contains("link:l1", graph);
            Assert.True(rate > 1e6, $"l1 shows {rate} bit/s during iperf3");

            // The table is redrawn on every refresh: a row found just before a redraw is detached by the
            // time the click lands, so the click is tried again on the new row.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await page.ClickAsync("tr[data-link=\"l1\"]");
                    break;
                }
                catch (PuppeteerException e) when (attempt < 5 && e.Message.Contains("detached", StringComparison.Ordinal))
                {
                    output.WriteLine($"click {attempt}: {e.Message}; again");
                }
            }
            await page.WaitForSelectorAsync("#link-options", new WaitForSelectorOptions { Timeout = 5_000 });
            var options = await page.EvaluateExpressionAsync<string>("document.getElementById('link-options').innerText");
            var counters = await page.EvaluateExpressionAsync<string>("document.getElementById('link-counters').innerText");
            Assert.Contains("compression", options);
            Assert.Contains("raw-p2p", options);
            Assert.Contains("vm1@h1", counters);
            Assert.Contains("capsule bytes", counters);

            var shot = Path.Combine(LabMetrics.ArtifactDirectory, "topology.png");
            await page.ScreenshotAsync(shot);
            output.WriteLine($"screenshot {shot}");
            Assert.True(new FileInfo(shot).Length > 10_000);
        }
        finally
        {
            await stop.CancelAsync();
            await forwarding;
            await traffic;
            profile.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Vnet_top_renders_the_link_in_a_pseudo_terminal()
    {
        // Longer than `vnet top` takes to start and refresh three times on a loaded machine.
        var traffic = LabMetrics.TrafficAsync(Session, 12, 5213);
        await Task.Delay(1500);
        var cli = string.Join(' ', LabMetrics.Cli.Select(Shell.Quote));
        var command = $"stty cols 140 rows 40; env TERM=xterm-256color {cli} lab top h1 --lab {Shell.Quote(Session.State.Id)} --count 3 --interval 1";
        var r = Shell.Run("script", ["-q", "-e", "-c", command, "/dev/null"], check: false, timeout: TimeSpan.FromSeconds(60));
        await traffic;
        var screen = System.Text.RegularExpressions.Regex.Replace(r.Output, @"\x1b\[[0-9;?]*[A-Za-z]", "");
        File.WriteAllText(Path.Combine(LabMetrics.ArtifactDirectory, "top.txt"), screen);
        output.WriteLine(screen[Math.Max(0, screen.Length - 1500)..]);
        Assert.Equal(0, r.Exit);
        Assert.Contains("vnet top", screen);
        Assert.Contains("l1", screen);
        Assert.Contains("vm1@h1", screen);
        Assert.Contains("vm2@h2", screen);
        Assert.Contains("established", screen);
        // iperf3 moves hundreds of Mbit/s or more through l1 while top runs.
        Assert.Matches(@"\d [MG]bit/s", screen);
    }
}
