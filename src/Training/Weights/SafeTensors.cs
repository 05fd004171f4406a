using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TransferHub.Training.Weights;

// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}, offsets
// relative to the data area), then the raw little-endian tensor bytes. F16 and BF16 are widened to F32 on read.
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100 * 1024 * 1024;

    /// <summary>
    /// Reads a file through a read-only memory map: each tensor is copied straight from the mapped pages, so a large
    /// checkpoint is never held whole in managed memory (and files over 2 GB read as well as small ones).
    /// </summary>
    public static unsafe Dictionary<string, Tensor> Read(string path, IDictionary<string, string>? metadata = null)
    {
        byte[] headerBytes;
        long fileLength;
        using (var stream = File.OpenRead(path))
        {
            headerBytes = ReadHeader(stream);
            fileLength = stream.Length;
        }
        if (fileLength == 8 + headerBytes.Length)
        {
            return Parse(headerBytes, metadata, (name, offsets) => offsets.End == 0 ? [] : throw OutOfRange(name, offsets, 0));
        }
        using var map = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        try
        {
            var data = start + view.PointerOffset + 8 + headerBytes.Length;
            var dataLength = fileLength - 8 - headerBytes.Length;
            return Parse(headerBytes, metadata, (name, offsets) => offsets.Start < 0 || offsets.End > dataLength || offsets.End - offsets.Start > int.MaxValue
                ? throw OutOfRange(name, offsets, dataLength)
                : new ReadOnlySpan<byte>(data + offsets.Start, (int)(offsets.End - offsets.Start)));
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>Only the <c>__metadata__</c> of a file: its header is read, no tensor.</summary>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        using var stream = File.OpenRead(path);
        using var header = ParseHeader(ReadHeader(stream));
        var metadata = new Dictionary<string, string>();
        if (header.RootElement.TryGetProperty("__metadata__", out var entries)) ReadMetadata(entries, metadata);
        return metadata;
    }

    // A hostile header must cost little and fail with a message: a depth limit, an object at the top, and every
    // structural surprise (a missing field, a number where a string belongs) reported as invalid data.
    private static JsonDocument ParseHeader(byte[] headerBytes)
    {
        try
        {
            var header = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 16 });
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                header.Dispose();
                throw new InvalidDataException("Not a safetensors file: the header is not a JSON object.");
            }
            return header;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Not a safetensors file: the header is not valid JSON ({e.Message}).", e);
        }
    }

    private static void ReadMetadata(JsonElement entries, IDictionary<string, string> metadata)
    {
        if (entries.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("safetensors __metadata__ must be an object of strings.");
        foreach (var m in entries.EnumerateObject())
            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                : throw new InvalidDataException($"safetensors __metadata__ value '{m.Name}' is not a string.");
    }

    private static byte[] ReadHeader(Stream stream)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading assumes a little-endian CPU.");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength == 0 || headerLength > MaxHeaderBytes || (stream.CanSeek && (long)headerLength > stream.Length - 8))
            throw new InvalidDataException($"Not a safetensors file: header length {headerLength} is out of range.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        return headerBytes;
    }

    public static Dictionary<string, Tensor> Read(Stream stream, IDictionary<string, string>? metadata = null)
    {
        var headerBytes = ReadHeader(stream);
        using var data = new MemoryStream();
        stream.CopyTo(data);
        return Parse(headerBytes, metadata, (name, offsets) => offsets.Start < 0 || offsets.End > data.Length
            ? throw OutOfRange(name, offsets, data.Length)
            : data.GetBuffer().AsSpan((int)offsets.Start, (int)(offsets.End - offsets.Start)));
    }

    /// <summary>The bytes of one tensor, given its name and its [start, end) offsets in the data area.</summary>
    private delegate ReadOnlySpan<byte> TensorBytes(string name, (long Start, long End) offsets);

    private static InvalidDataException OutOfRange(string name, (long Start, long End) offsets, long dataLength) =>
        new($"Tensor '{name}': data_offsets [{offsets.Start}, {offsets.End}] lie outside the {dataLength}-byte data area.");

    private static Dictionary<string, Tensor> Parse(byte[] headerBytes, IDictionary<string, string>? metadata, TensorBytes bytesOf)
    {
        using var header = ParseHeader(headerBytes);
        // Every entry is checked before any tensor is allocated: a file that lies costs no memory.
        var entries = new List<Entry>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                if (metadata is not null) ReadMetadata(entry.Value, metadata);
                continue;
            }
            entries.Add(Describe(entry.Name, entry.Value));
        }
        var ordered = entries.OrderBy(e => e.Start).ToList();
        for (var i = 1; i < ordered.Count; i++)
            if (ordered[i].Start < ordered[i - 1].End)
                throw new InvalidDataException($"Tensors '{ordered[i - 1].Name}' and '{ordered[i].Name}' overlap in the data area.");
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var entry in entries) result[entry.Name] = Load(entry, bytesOf);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            var (dtype, bytes) = ToBytes(tensor);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // the data area starts 8-byte aligned; the spec pads with spaces
        using var file = File.Create(path);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        file.Write(prefix);
        file.Write(json);
        for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
        foreach (var blob in blobs) file.Write(blob);
    }

    private sealed record Entry(string Name, string DType, long[] Shape, long Start, long End);

    private static Entry Describe(string name, JsonElement info)
    {
        if (info.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"Tensor '{name}': its header entry is not an object.");
        var dtype = info.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()!
            : throw new InvalidDataException($"Tensor '{name}': no dtype.");
        var shape = Integers(name, info, "shape");
        var offsets = Integers(name, info, "data_offsets");
        var width = dtype switch
        {
            "F64" or "I64" => 8,
            "F32" or "I32" => 4,
            "F16" or "BF16" or "I16" => 2,
            "U8" or "I8" or "BOOL" => 1,
            _ => throw new InvalidDataException($"Tensor '{name}': dtype '{dtype}' is not supported."),
        };
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => a * b) * width);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"Tensor '{name}': shape [{string.Join(", ", shape)}] has more elements than any file can hold.");
        }
        if (offsets.Length != 2 || offsets[0] > offsets[1] || offsets[1] - offsets[0] != bytes)
            throw new InvalidDataException(
                $"Tensor '{name}': data_offsets [{string.Join(", ", offsets)}] do not match {dtype} shape [{string.Join(", ", shape)}].");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>An array of non-negative integers (a shape, or data offsets), or a clear refusal.</summary>
    private static long[] Integers(string name, JsonElement info, string field)
    {
        if (!info.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() > 64)
            throw new InvalidDataException($"Tensor '{name}': {field} is not a list of integers.");
        return [.. array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n
            : throw new InvalidDataException($"Tensor '{name}': {field} holds '{v}', not a non-negative integer."))];
    }

    private static Tensor Load(Entry entry, TensorBytes bytesOf)
    {
        var (name, dtype, shape) = (entry.Name, entry.DType, entry.Shape);
        var bytes = bytesOf(name, (entry.Start, entry.End));
        return dtype switch
        {
            "F32" => tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
            "F64" => tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape),
            "F16" => tensor(Widen(MemoryMarshal.Cast<byte, Half>(bytes)), shape),
            "BF16" => tensor(WidenBFloat16(MemoryMarshal.Cast<byte, ushort>(bytes)), shape),
            "I64" => tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
            "I32" => tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), shape),
            "I16" => tensor(MemoryMarshal.Cast<byte, short>(bytes).ToArray(), shape),
            "U8" => tensor(bytes.ToArray(), shape),
            "I8" => tensor(MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(), shape),
            _ => tensor(bytes.ToArray().Select(b => b != 0).ToArray(), shape), // BOOL
        };
    }

    private static float[] Widen(ReadOnlySpan<Half> values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++) result[i] = (float)values[i];
        return result;
    }

    private static float[] WidenBFloat16(ReadOnlySpan<ushort> values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++) result[i] = BitConverter.Int32BitsToSingle(values[i] << 16);
        return result;
    }

    private static (string DType, byte[] Bytes) ToBytes(Tensor source)
    {
        using var t = source.detach().cpu().contiguous();
        switch (t.dtype)
        {
            case ScalarType.Float32: return ("F32", MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()).ToArray());
            case ScalarType.Float64: return ("F64", MemoryMarshal.AsBytes(t.data<double>().ToArray().AsSpan()).ToArray());
            case ScalarType.Int64: return ("I64", MemoryMarshal.AsBytes(t.data<long>().ToArray().AsSpan()).ToArray());
            case ScalarType.Int32: return ("I32", MemoryMarshal.AsBytes(t.data<int>().ToArray().AsSpan()).ToArray());
            case ScalarType.Float16:
            {
                using var wide = t.to(ScalarType.Float32);
                var halves = wide.data<float>().ToArray().Select(f => (Half)f).ToArray();
                return ("F16", MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
            }
            case ScalarType.BFloat16:
            {
                // bf16 → f32 is exact, so the upper 16 bits of the widened value are the original bits.
                using var wide = t.to(ScalarType.Float32);
                var bits = wide.data<float>().ToArray().Select(f => (ushort)(BitConverter.SingleToInt32Bits(f) >>> 16)).ToArray();
                return ("BF16", MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
            }
            default: throw new NotSupportedException($"Cannot write dtype {t.dtype} to safetensors.");
        }
    }
}
