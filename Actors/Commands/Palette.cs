using System.Text.Json;
using VNet.Client;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>
/// A palette that only parses and renders: <see cref="Parse"/> turns the text switches into a typed
/// request, the <see cref="CommandDispatcher"/> carries it out, and the reply is rendered — a table
/// or text for people, the reply record itself for <c>--json</c>. A reply that refuses the request
/// ends the command with exit code 1 and its problems.
/// </summary>
public abstract class Palette(CommandDispatcher dispatcher) : IPalette
{
    /// <inheritdoc/>
    public abstract PaletteDefinition Definition { get; }

    /// <summary>The dispatcher requests go to.</summary>
    protected CommandDispatcher Dispatcher => dispatcher;

    /// <summary>The request a command line asks for; throws <see cref="CommandException"/> (usage) naming the bad switch.</summary>
    public abstract ICommandRequest Parse(CommandRequest r);

    /// <summary>Renders the reply (not a rejection) for people; <c>--json</c> prints the record instead, unless overridden.</summary>
    protected abstract Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink);

    /// <summary>Renders one streamed item (the <paramref name="index"/>th of the request, from 0) for people; <c>--json</c> prints the record instead.</summary>
    protected virtual Task RenderItemAsync(CommandRequest r, ICommandItem item, int index, ICommandSink sink) => Task.CompletedTask;

    /// <summary>The error text of a rejection: its problems, one per line.</summary>
    protected virtual string Refusal(IRejection rejection) => string.Join(Environment.NewLine, rejection.Problems);

    /// <summary>False for items that are output of their own (file data), not records for <c>--json</c>.</summary>
    protected virtual bool IsRecord(ICommandItem item) => true;

    /// <summary>True when <c>--json</c> prints the reply record (palettes whose reply is a file say no).</summary>
    protected virtual bool PrintsRecord(CommandRequest r) => r.Json;

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        var request = Parse(r);
        var items = 0;
        var reply = await dispatcher.ExecuteAsync(request, item => PrintsRecord(r) && IsRecord(item) ? RecordAsync(sink, item) : RenderItemAsync(r, item, items++, sink), cancel);
        if (reply is IRejection rejection) throw new CommandException(Refusal(rejection));
        if (PrintsRecord(r)) await RecordAsync(sink, reply);
        else await RenderAsync(r, reply, sink);
    }

    /// <summary>Emits a message record as a <c>--json</c> data block.</summary>
    protected static Task RecordAsync(ICommandSink sink, ICommandMessage message) =>
        sink.EmitAsync(new ConsoleLine.Data(JsonSerializer.SerializeToNode(message, ConsoleLine.DataOptions)));
}
