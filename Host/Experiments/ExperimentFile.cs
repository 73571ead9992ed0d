using VNet.Client;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using VNet.Actors.Commands;
using VNet.Actors.Networks;
using VNet.Host.Console;
using VNet.Messages;

namespace VNet.Host.Experiments;

/// <summary>The VMs and hosts of a lab, as far as an experiment file names them.</summary>
public sealed record LabTopology(string File, ImmutableHashSet<string> Vms, ImmutableHashSet<string> Hosts);

/// <summary>
/// Reads and checks experiment files (docs/experiments.md, schema Host/Experiments/experiment.xsd).
/// Pure: text in, the expanded runs or every problem with its file:line:column out; the lab a file
/// names is looked up through a function the caller passes, so tests need no files.
/// </summary>
public static partial class ExperimentFile
{
    /// <summary>Longest measurement name (it names CSV and PNG files).</summary>
    public const int MaxNameLength = 32;

    /// <summary>Most runs a sweep may expand to.</summary>
    public const int MaxRuns = 1000;

    private static readonly Lazy<XmlSchemaSet> Schema = new(() =>
    {
        using var stream = typeof(ExperimentFile).Assembly.GetManifestResourceStream("VNet.experiment.xsd")!;
        var set = new XmlSchemaSet();
        set.Add(null, XmlReader.Create(stream));
        set.Compile();
        return set;
    });

    /// <summary>The schema's text, as shipped.</summary>
    public static string SchemaText()
    {
        using var stream = typeof(ExperimentFile).Assembly.GetManifestResourceStream("VNet.experiment.xsd")!;
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>
    /// Reads and checks an experiment file; the lab file it names is read relative to the
    /// experiment file's folder, <paramref name="runningLab"/> stands for <c>&lt;lab running="true"/&gt;</c>
    /// (null: its VMs and hosts are not checked).
    /// </summary>
    public static ExperimentDefinition Load(string path, LabTopology? runningLab = null, ImmutableArray<PaletteDefinition>? palettes = null)
    {
        if (!System.IO.File.Exists(path)) throw new NetworkFileException([new FileProblem(path, 0, 0, "no such file")]);
        byte[] bytes;
        using (var stream = System.IO.File.OpenRead(path))
            if (BoundedXml.SizeProblem(stream, path, XmlFileLimits.Default, out bytes) is { } tooLarge) throw new NetworkFileException([tooLarge]);
        var text = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, true).ReadToEnd();
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Parse(text, path, palettes ?? PaletteCatalog.Definitions, labFile => labFile is null ? runningLab : ReadLab(ResolveLab(folder, labFile)));
    }

    /// <summary>A lab file named by an experiment: relative to the experiment's folder, or by name under labs/.</summary>
    public static string ResolveLab(string experimentFolder, string labFile)
    {
        var beside = Path.GetFullPath(Path.Combine(experimentFolder, labFile));
        return System.IO.File.Exists(beside) ? beside : Path.GetFullPath(Cli.ResolveLabFile(labFile));
    }

    /// <summary>The VMs and hosts of a lab file (its problems, if any, are thrown).</summary>
    public static LabTopology ReadLab(string labFile)
    {
        var lab = Labs.LabFile.Load(labFile);
        return new LabTopology(lab.File, [.. lab.Vms.Select(v => v.Name)], [.. lab.Hosts.Select(h => h.Name)]);
    }

    /// <summary>
    /// Parses and checks experiment XML; throws <see cref="NetworkFileException"/> with every problem.
    /// <paramref name="lab"/> gives the lab the file names (null argument: the running lab); it may throw
    /// <see cref="NetworkFileException"/>, whose problems are reported at the <c>&lt;lab&gt;</c> element.
    /// </summary>
    public static ExperimentDefinition Parse(string xml, string file, ImmutableArray<PaletteDefinition> palettes, Func<string?, LabTopology?> lab)
    {
        var doc = BoundedXml.Load(xml, file);
        var problems = new Problems(file);
        var root = doc.Root!;
        if (root.Name.LocalName != "experiment") problems.Add(root, $"the root element is <{root.Name.LocalName}>, expected <experiment>");
        var name = root.Attribute("name")?.Value ?? "";
        if (name.Length == 0) problems.Add(root, "<experiment> has no 'name' attribute");
        var (target, topology) = ParseTarget(root, problems, lab);
        var (parameters, repetitions) = ParseSweep(root, problems);
        var combos = Combinations(parameters);
        if ((long)combos.Count * repetitions > MaxRuns)
            problems.Add(root.Element("sweep") ?? root, $"the sweep expands to {combos.Count * (long)repetitions} runs, more than the limit of {MaxRuns}");
        var runs = new List<ExperimentRun>();
        if (problems.Count == 0 || combos.Count * (long)repetitions <= MaxRuns)
        {
            // Each combination is checked with its own values, so a bad value is reported where it is used.
            var expanded = combos.Select(c => (Bindings: c, Steps: ParseTimeline(root, problems, palettes, topology, c), Measurements: ParseMeasurements(root, problems, topology, c))).ToList();
            for (var rep = 0; rep < repetitions; rep++)
                foreach (var (bindings, steps, measurements) in expanded)
                    runs.Add(new ExperimentRun(runs.Count, bindings, rep, steps, measurements));
        }
        var plots = ParsePlots(root, problems, parameters, runs.FirstOrDefault());
        if (runs.Count > 0 && runs.All(r => r.Measurements.IsEmpty) && root.Element("measurements") is null)
            problems.Add(root, "the experiment has no <measurements>: it would measure nothing");
        var schemaProblems = new List<FileProblem>();
        doc.Validate(Schema.Value, (_, e) => schemaProblems.Add(new FileProblem(file, e.Exception?.LineNumber ?? 0, e.Exception?.LinePosition ?? 0, $"schema: {e.Message}")), addSchemaInfo: false);
        // Where the reader already objects to a line, its message is the clearer one.
        var all = problems.List;
        all.AddRange(schemaProblems.Where(sp => all.All(p => p.Line != sp.Line)));
        if (all.Count > 0) throw new NetworkFileException([.. all.OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        return new ExperimentDefinition(name, file, xml, target, parameters, repetitions, [.. runs], plots);
    }

    private static (ExperimentTarget Target, LabTopology? Topology) ParseTarget(XElement root, Problems problems, Func<string?, LabTopology?> lab)
    {
        var e = root.Element("lab");
        if (e is null)
        {
            problems.Add(root, "the experiment has no <lab file=\"...\"/> or <lab running=\"true\"/>: which lab does it run on?");
            return (new ExperimentTarget(null, true), null);
        }
        var labFile = e.Attribute("file")?.Value;
        var running = e.Attribute("running")?.Value;
        if (labFile is not null && running is "true") problems.Add(e, "<lab> has both 'file' and running=\"true\": name one");
        if (labFile is null && running is not "true") problems.Add(e, "<lab> needs file=\"LAB.xml\" (the runner brings it up) or running=\"true\" (a lab already up, given with -L)");
        var links = e.Attribute("links")?.Value ?? "create";
        if (links is not ("create" or "none")) problems.Add(e.Attribute("links")!, $"links '{links}' must be create or none");
        if (running is "true" && e.Attribute("links") is { } l) problems.Add(l, "links= applies to a lab the runner brings up (file=...), not to a running lab");
        LabTopology? topology = null;
        try
        {
            topology = lab(running is "true" ? null : labFile);
        }
        catch (NetworkFileException ex)
        {
            foreach (var p in ex.Problems) problems.Add(e, $"lab file: {p}");
        }
        return (new ExperimentTarget(running is "true" ? null : labFile, links == "create"), topology);
    }

    private static (ImmutableArray<SweepParameter> Parameters, int Repetitions) ParseSweep(XElement root, Problems problems)
    {
        var sweep = root.Element("sweep");
        if (sweep is null) return ([], 1);
        var repetitions = 1;
        if (sweep.Attribute("repeat") is { } r && !(int.TryParse(r.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out repetitions) && repetitions is >= 1 and <= 100))
        {
            problems.Add(r, $"repeat '{r.Value}' must be a whole number 1-100");
            repetitions = 1;
        }
        var parameters = new List<SweepParameter>();
        foreach (var p in sweep.Elements("parameter"))
        {
            var name = p.Attribute("name")?.Value;
            if (name is null || !ParameterName().IsMatch(name)) { problems.Add(p, $"parameter name '{name}' must be letters, digits, '_' or '-', starting with a letter"); continue; }
            if (parameters.Any(x => x.Name == name)) { problems.Add(p, $"parameter '{name}' is declared twice"); continue; }
            var values = (p.Attribute("values")?.Value ?? "").Split([' ', ',', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (values.Length == 0) { problems.Add(p, $"parameter '{name}' has no values (values=\"10M 50M 100M\")"); continue; }
            if (values.Distinct().Count() != values.Length) problems.Add(p, $"parameter '{name}' lists a value twice");
            parameters.Add(new SweepParameter(name, [.. values]));
        }
        return ([.. parameters], repetitions);
    }

    /// <summary>Every combination of the parameters' values, the first parameter varying slowest.</summary>
    public static List<ImmutableDictionary<string, string>> Combinations(IReadOnlyList<SweepParameter> parameters)
    {
        var combos = new List<ImmutableDictionary<string, string>> { ImmutableDictionary<string, string>.Empty };
        foreach (var p in parameters)
            combos = [.. combos.SelectMany(c => p.Values.Select(v => c.Add(p.Name, v)))];
        return combos;
    }

    private static ImmutableArray<ExperimentStep> ParseTimeline(XElement root, Problems problems, ImmutableArray<PaletteDefinition> palettes, LabTopology? topology, ImmutableDictionary<string, string> bindings)
    {
        var steps = new List<ExperimentStep>();
        var timeline = root.Element("timeline");
        if (timeline is null) return [];
        var previous = TimeSpan.Zero;
        XElement? previousElement = null;
        foreach (var e in timeline.Elements())
        {
            var spot = Spot(e);
            var at = e.Attribute("at");
            var after = e.Attribute("after");
            TimeSpan when = previous;
            if (at is not null && after is not null) problems.Add(e, $"<{e.Name.LocalName}> has both 'at' and 'after': give one");
            else if (at is null && after is null) problems.Add(e, $"<{e.Name.LocalName}> needs at=\"5s\" (from the start) or after=\"2s\" (after the previous step)");
            else if (Duration(at ?? after!, problems, bindings) is { } t)
            {
                when = at is not null ? t : previous + t;
                if (at is not null && t < previous)
                    problems.Add(at, $"at {ExperimentUnits.Format(t)} is before the previous step at {ExperimentUnits.Format(previous)} (line {Spot(previousElement!).Line}): time goes backwards");
            }
            switch (e.Name.LocalName)
            {
                case "command":
                    var line = Substitute(e.Value.Trim(), e, problems, bindings);
                    var words = ConsoleClient.Words(line);
                    if (PaletteCatalog.Problem(palettes, words) is { } why) problems.Add(e, why);
                    else if (words[0] is "link" && words.ElementAtOrDefault(1) is "capture") problems.Add(e, "link capture streams a file to the console; it cannot be a step");
                    steps.Add(new CommandStep(when, spot, line, [.. words]));
                    break;
                case "host":
                    var host = Substitute(e.Attribute("name")?.Value ?? "", e, problems, bindings);
                    var actionText = e.Attribute("action")?.Value ?? "";
                    if (host.Length == 0) problems.Add(e, "<host> has no 'name' attribute");
                    else if (topology is not null && !topology.Hosts.Contains(host))
                        problems.Add(e, $"unknown host '{host}' (hosts of {Path.GetFileName(topology.File)}: {string.Join(", ", topology.Hosts.Order(StringComparer.Ordinal))})");
                    if (!Enum.TryParse<HostAction>(actionText, ignoreCase: true, out var action) || actionText.Any(char.IsUpper) || int.TryParse(actionText, out _))
                        problems.Add(e, $"host action '{actionText}' must be kill, stop, start, cut or heal");
                    else steps.Add(new HostStep(when, spot, host, action));
                    break;
                default:
                    problems.Add(e, $"unknown step <{e.Name.LocalName}> in <timeline> (expected <command> or <host>)");
                    break;
            }
            previous = when;
            previousElement = e;
        }
        return [.. steps];
    }

    private static ImmutableArray<Measurement> ParseMeasurements(XElement root, Problems problems, LabTopology? topology, ImmutableDictionary<string, string> bindings)
    {
        var result = new List<Measurement>();
        var section = root.Element("measurements");
        if (section is null) return [];
        foreach (var e in section.Elements())
        {
            var name = e.Attribute("name")?.Value ?? "";
            if (!MeasurementName().IsMatch(name)) { problems.Add(e, $"measurement name '{name}' must be 1-{MaxNameLength} letters, digits, '-' or '_' (it names the result files)"); name = "?"; }
            else if (result.Any(m => m.Name == name)) problems.Add(e, $"measurement name '{name}' is used twice");
            var start = Duration(e.Attribute("start"), problems, bindings, TimeSpan.Zero);
            var duration = Duration(e.Attribute("duration"), problems, bindings, null);
            if (e.Attribute("duration") is null) problems.Add(e, $"<{e.Name.LocalName}> {name} has no duration=\"...\"");
            if (duration is { } d && d <= TimeSpan.Zero) problems.Add(e.Attribute("duration")!, $"{name}: the duration must be longer than 0");
            Measurement? m = e.Name.LocalName switch
            {
                "iperf" => Iperf(e, name, start, duration, problems, topology, bindings),
                "ping" => Ping(e, name, start, duration, problems, topology, bindings),
                "counters" => Counters(e, name, start, duration, problems, bindings),
                _ => null,
            };
            if (e.Name.LocalName is not ("iperf" or "ping" or "counters"))
                problems.Add(e, $"unknown measurement <{e.Name.LocalName}> (expected <iperf>, <ping> or <counters>)");
            if (m is not null) result.Add(m);
        }
        // Two iperf3 runs between the same two VMs at once would share the link and measure each other.
        var iperfs = result.OfType<IperfMeasurement>().ToList();
        for (var i = 0; i < iperfs.Count; i++)
            for (var j = 0; j < i; j++)
            {
                IperfMeasurement a = iperfs[j], b = iperfs[i];
                var samePair = new HashSet<string> { a.From, a.To }.SetEquals([b.From, b.To]);
                if (samePair && a.Start < b.End && b.Start < a.End)
                    problems.Add(b.Spot, $"iperf {b.Name} overlaps iperf {a.Name} (line {a.Spot.Line}) between {b.From} and {b.To} ({ExperimentUnits.Format(b.Start)}-{ExperimentUnits.Format(b.End)} and {ExperimentUnits.Format(a.Start)}-{ExperimentUnits.Format(a.End)}): they would share the link; run them one after the other");
            }
        return [.. result];
    }

    private static (string From, string To) Pair(XElement e, string name, Problems problems, LabTopology? topology, ImmutableDictionary<string, string> bindings)
    {
        var from = Substitute(e.Attribute("from")?.Value ?? "", e, problems, bindings);
        var to = Substitute(e.Attribute("to")?.Value ?? "", e, problems, bindings);
        foreach (var (what, vm) in new[] { ("from", from), ("to", to) })
        {
            if (vm.Length == 0) problems.Add(e, $"{name}: no '{what}' VM");
            else if (topology is not null && !topology.Vms.Contains(vm))
                problems.Add(e.Attribute(what)!, $"{name}: unknown VM '{vm}' (VMs of {Path.GetFileName(topology.File)}: {string.Join(", ", topology.Vms.Order(StringComparer.Ordinal))})");
        }
        if (from.Length > 0 && from == to) problems.Add(e, $"{name}: from and to are the same VM '{from}'");
        return (from, to);
    }

    private static IperfMeasurement? Iperf(XElement e, string name, TimeSpan? start, TimeSpan? duration, Problems problems, LabTopology? topology, ImmutableDictionary<string, string> bindings)
    {
        var (from, to) = Pair(e, name, problems, topology, bindings);
        var protocol = e.Attribute("protocol")?.Value ?? "tcp";
        if (protocol is not ("tcp" or "udp")) problems.Add(e.Attribute("protocol")!, $"{name}: protocol '{protocol}' must be tcp or udp");
        var udp = protocol == "udp";
        long rate = 0;
        if (e.Attribute("rate") is { } r)
        {
            var text = Substitute(r.Value, r, problems, bindings);
            if (!Units.TryParseBitRate(text, out rate) || rate <= 0 || rate > LinkOptions.MaxBandwidth) problems.Add(r, $"{name}: rate '{text}' is not a rate such as 50M (bits per second, 1-100G)");
        }
        if (udp && e.Attribute("rate") is null) problems.Add(e, $"{name}: a UDP iperf needs rate=\"...\" (the offered rate, e.g. 50M)");
        if (!udp && e.Attribute("rate") is { } tr) problems.Add(tr, $"{name}: rate applies to UDP only (TCP sends as fast as the link allows)");
        var length = 0;
        if (e.Attribute("length") is { } l)
        {
            var text = Substitute(l.Value, l, problems, bindings);
            if (!(int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out length) && length is >= 16 and <= 65507)) problems.Add(l, $"{name}: length '{text}' must be 16-65507 bytes");
        }
        var interval = Duration(e.Attribute("interval"), problems, bindings, TimeSpan.FromSeconds(1));
        if (interval is { } i && (i < TimeSpan.FromMilliseconds(100) || i > TimeSpan.FromSeconds(1)))
            problems.Add(e.Attribute("interval")!, $"{name}: interval {ExperimentUnits.Format(i)} must be 100ms-1s");
        if (duration is { } d && d < TimeSpan.FromSeconds(1)) problems.Add(e.Attribute("duration")!, $"{name}: iperf3 needs a duration of at least 1s");
        if (start is null || duration is null || interval is null) return null;
        return new IperfMeasurement(name, start.Value, duration.Value, Spot(e), from, to, udp, rate, length, interval.Value);
    }

    private static PingMeasurement? Ping(XElement e, string name, TimeSpan? start, TimeSpan? duration, Problems problems, LabTopology? topology, ImmutableDictionary<string, string> bindings)
    {
        var (from, to) = Pair(e, name, problems, topology, bindings);
        var interval = Duration(e.Attribute("interval"), problems, bindings, TimeSpan.FromMilliseconds(200));
        if (interval is { } i && (i < TimeSpan.FromMilliseconds(10) || i > TimeSpan.FromSeconds(10)))
            problems.Add(e.Attribute("interval")!, $"{name}: interval {ExperimentUnits.Format(i)} must be 10ms-10s");
        if (start is null || duration is null || interval is null) return null;
        return new PingMeasurement(name, start.Value, duration.Value, Spot(e), from, to, interval.Value);
    }

    private static CountersMeasurement? Counters(XElement e, string name, TimeSpan? start, TimeSpan? duration, Problems problems, ImmutableDictionary<string, string> bindings)
    {
        var link = Substitute(e.Attribute("link")?.Value ?? "", e, problems, bindings);
        if (!LinkSpec.IsValidId(link)) problems.Add(e, $"{name}: link id '{link}' is not valid (1-32 letters, digits, '-', '_', '.')");
        var every = Duration(e.Attribute("every"), problems, bindings, TimeSpan.FromMilliseconds(500));
        if (every is { } t && (t < TimeSpan.FromMilliseconds(100) || t > TimeSpan.FromSeconds(60)))
            problems.Add(e.Attribute("every")!, $"{name}: every {ExperimentUnits.Format(t)} must be 100ms-60s");
        if (start is null || duration is null || every is null) return null;
        return new CountersMeasurement(name, start.Value, duration.Value, Spot(e), link, every.Value);
    }

    private static ImmutableArray<SweepPlot> ParsePlots(XElement root, Problems problems, ImmutableArray<SweepParameter> parameters, ExperimentRun? run)
    {
        var plots = new List<SweepPlot>();
        foreach (var e in root.Element("plots")?.Elements() ?? [])
        {
            if (e.Name.LocalName != "sweep") { problems.Add(e, $"unknown plot <{e.Name.LocalName}> (expected <sweep>; time series are always plotted)"); continue; }
            var measurement = e.Attribute("measurement")?.Value ?? "";
            var value = e.Attribute("value")?.Value ?? "";
            var x = e.Attribute("x")?.Value ?? "";
            var lines = e.Attribute("lines")?.Value;
            var m = run?.Measurements.FirstOrDefault(m => m.Name == measurement);
            if (run is not null && m is null) problems.Add(e, $"sweep plot: no measurement named '{measurement}'");
            if (m is not null && !RunValues.Of(m).Contains(value))
                problems.Add(e, $"sweep plot: {measurement} has no value '{value}' (values: {string.Join(", ", RunValues.Of(m))})");
            foreach (var p in new[] { x, lines }.OfType<string>().Where(p => parameters.All(q => q.Name != p)))
                problems.Add(e, $"sweep plot: no parameter named '{p}' (parameters: {(parameters.IsEmpty ? "none; add a <sweep>" : string.Join(", ", parameters.Select(q => q.Name)))})");
            if (lines is not null && lines == x) problems.Add(e, "sweep plot: x and lines name the same parameter");
            plots.Add(new SweepPlot(measurement, value, x, lines, Spot(e)));
        }
        return [.. plots];
    }

    private static TimeSpan? Duration(XAttribute? a, Problems problems, ImmutableDictionary<string, string> bindings, TimeSpan? fallback) =>
        a is null ? fallback : Duration(a, problems, bindings);

    private static TimeSpan? Duration(XAttribute a, Problems problems, ImmutableDictionary<string, string> bindings)
    {
        var text = Substitute(a.Value, a, problems, bindings);
        if (ExperimentUnits.TryParseDuration(text, out var t)) return t;
        problems.Add(a, $"{a.Name.LocalName} '{text}' is not a duration such as 500ms, 5s or 2m");
        return null;
    }

    private static string Substitute(string text, XObject where, Problems problems, IReadOnlyDictionary<string, string> bindings) =>
        Placeholder().Replace(text, m =>
        {
            if (bindings.TryGetValue(m.Groups[1].Value, out var v)) return v;
            problems.Add(where, $"${{{m.Groups[1].Value}}} names no parameter ({(bindings.Count == 0 ? "the file has no <sweep>" : "parameters: " + string.Join(", ", bindings.Keys.Order(StringComparer.Ordinal)))})");
            return m.Value;
        });

    private static SourceSpot Spot(XObject node) => node is IXmlLineInfo i && i.HasLineInfo() ? new SourceSpot(i.LineNumber, i.LinePosition) : default;

    [GeneratedRegex(@"\$\{([^}]*)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex MeasurementName();

    /// <summary>Problems of one file, each once (a sweep checks the same element once per combination).</summary>
    private sealed class Problems(string file, List<FileProblem>? list = null)
    {
        private readonly HashSet<(int, int, string)> _seen = [];

        public List<FileProblem> List { get; } = list ?? [];

        public int Count => List.Count;

        public void Add(XObject node, string message) => Add(Spot(node), message);

        public void Add(SourceSpot spot, string message)
        {
            if (_seen.Add((spot.Line, spot.Column, message))) List.Add(new FileProblem(file, spot.Line, spot.Column, message));
        }
    }
}
