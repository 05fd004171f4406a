using System.Buffers.Binary;
using System.Text.Json;

namespace TransferHub.Registry.Features.Models;

/// <summary>Reads the <c>__metadata__</c> of a safetensors header without loading tensors (no engine needed to register).</summary>
public static class SafeTensorsMetadata
{
    public static IReadOnlyDictionary<string, string> Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8)
        {
            throw new InvalidDataException("Not a safetensors file.");
        }
        var length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (length == 0 || length > (ulong)(file.Length - 8))
        {
            throw new InvalidDataException("Not a safetensors file: header length out of range.");
        }
        using var header = JsonDocument.Parse(file.Slice(8, (int)length).ToArray());
        return header.RootElement.TryGetProperty("__metadata__", out var metadata)
            ? metadata.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
            : new Dictionary<string, string>();
    }

    public static IReadOnlyList<string> Classes(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue("classes", out var json) ? JsonSerializer.Deserialize<string[]>(json) ?? [] : [];
}
