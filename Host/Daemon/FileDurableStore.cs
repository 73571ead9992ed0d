using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData.Durable;
using Akka.Event;
using Akka.Serialization;

namespace VNet.Host.Daemon;

/// <summary>
/// The durable store of the node's Akka.DistributedData replicator: one file per durable key in
/// <c>akka.cluster.distributed-data.durable.dir</c>, replaced atomically (written to a temporary
/// file, flushed to disk, renamed over the old one) on every change, and read back when the node
/// starts. VNet's durable keys are two small maps changed by operator commands, so a file per key
/// is all the store needs (the LMDB store's native binding does not load on this runtime).
/// </summary>
/// <remarks>
/// File layout: serializer id (int32, big-endian), manifest length (int32) and manifest (UTF-8),
/// then the serialized <see cref="DurableDataEnvelope"/>. A file that cannot be read fails the load,
/// which stops the replicator, as Akka's own store does: a node must not start with half its intent.
/// </remarks>
public sealed class FileDurableStore : ReceiveActor
{
    /// <summary>Largest file read back (the node's own files; anything larger is not one of them).</summary>
    public const int MaxFileBytes = 64 << 20;

    private const string Extension = ".ddata";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _dir;

    /// <summary>Created by the replicator with its <c>durable</c> configuration section.</summary>
    public FileDurableStore(Config config)
    {
        _dir = config.GetString("dir", "");
        if (string.IsNullOrEmpty(_dir)) throw new ArgumentException("akka.cluster.distributed-data.durable.dir is not set");
        Directory.CreateDirectory(_dir);
        Receive<LoadAll>(_ => LoadAll());
        Receive<Store>(Store);
    }

    private void LoadAll()
    {
        var serialization = Context.System.Serialization;
        var data = ImmutableDictionary.CreateBuilder<string, DurableDataEnvelope>();
        foreach (var path in Directory.EnumerateFiles(_dir, "*" + Extension).Order(StringComparer.Ordinal))
        {
            var key = Path.GetFileNameWithoutExtension(path);
            try
            {
                var bytes = File.ReadAllBytes(path);
                if (bytes.Length > MaxFileBytes) throw new InvalidDataException($"{bytes.Length} bytes, more than {MaxFileBytes}");
                data[key] = Decode(serialization, bytes);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new LoadFailedException($"durable store {path}: cannot read key '{key}': {e.Message}", e);
            }
        }
        if (data.Count > 0) Sender.Tell(new LoadData(data.ToImmutable()));
        Sender.Tell(LoadAllCompleted.Instance);
        _log.Info("durable store {0}: {1} key(s) loaded", _dir, data.Count);
    }

    private void Store(Store store)
    {
        try
        {
            var path = Path.Combine(_dir, FileName(store.Key));
            var temp = path + ".tmp";
            var bytes = Encode(Context.System.Serialization, store.Data);
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            if (store.Reply is { } reply) reply.ReplyTo.Tell(reply.SuccessMessage);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Runtime.Serialization.SerializationException)
        {
            _log.Error(e, "durable store {0}: cannot write key '{1}': {2}", _dir, store.Key, e.Message);
            if (store.Reply is { } reply) reply.ReplyTo.Tell(reply.FailureMessage);
        }
    }

    /// <summary>The file of a key: its letters, digits, '-', '_' and '.' kept, anything else as _XX.</summary>
    public static string FileName(string key)
    {
        var sb = new StringBuilder();
        foreach (var c in key)
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') sb.Append(c);
            else sb.Append('_').Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return sb.Append(Extension).ToString();
    }

    /// <summary>The bytes of a file holding <paramref name="envelope"/>.</summary>
    public static byte[] Encode(Akka.Serialization.Serialization serialization, DurableDataEnvelope envelope)
    {
        var serializer = serialization.FindSerializerFor(envelope);
        var manifest = Encoding.UTF8.GetBytes(Akka.Serialization.Serialization.ManifestFor(serializer, envelope));
        var payload = serializer.ToBinary(envelope);
        var bytes = new byte[8 + manifest.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, serializer.Identifier);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), manifest.Length);
        manifest.CopyTo(bytes, 8);
        payload.CopyTo(bytes, 8 + manifest.Length);
        return bytes;
    }

    /// <summary>The envelope a file holds; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static DurableDataEnvelope Decode(Akka.Serialization.Serialization serialization, byte[] bytes)
    {
        if (bytes.Length < 8) throw new InvalidDataException("shorter than its header");
        var id = BinaryPrimitives.ReadInt32BigEndian(bytes);
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (length < 0 || length > bytes.Length - 8) throw new InvalidDataException($"manifest length {length} does not fit");
        var manifest = Encoding.UTF8.GetString(bytes, 8, length);
        var payload = bytes.AsSpan(8 + length).ToArray();
        return serialization.Deserialize(payload, id, manifest) as DurableDataEnvelope
            ?? throw new InvalidDataException("does not hold a replicated value");
    }
}
