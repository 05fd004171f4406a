using System.Buffers.Binary;
using System.IO.Compression;

namespace TransferHub.Tests.E2E;

/// <summary>Minimal PNG writer for test images (solid RGB), so the e2e project needs no imaging library.</summary>
public static class Png
{
    public static byte[] Solid(int width, int height, byte r, byte g, byte b)
    {
        var raw = new byte[height * (1 + width * 3)];
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + width * 3);
            for (var x = 0; x < width; x++)
            {
                raw[row + 1 + x * 3] = r;
                raw[row + 2 + x * 3] = g;
                raw[row + 3 + x * 3] = b;
            }
        }
        return Encode(width, height, raw, colourType: 2);
    }

    /// <summary>An 8-bit grayscale image from its pixels, row by row (e.g. a Fashion-MNIST digit).</summary>
    public static byte[] Gray(int width, int height, ReadOnlySpan<byte> pixels)
    {
        var raw = new byte[height * (1 + width)];
        for (var y = 0; y < height; y++)
        {
            pixels.Slice(y * width, width).CopyTo(raw.AsSpan(y * (1 + width) + 1));
        }
        return Encode(width, height, raw, colourType: 0);
    }

    // raw: filter byte 0 then the row's samples, for every row.
    private static byte[] Encode(int width, int height, byte[] raw, byte colourType)
    {
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(raw);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = colourType; // 0 grayscale, 2 RGB
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header[4..]);
        png.Write(header);
        png.Write(data);
        var crcInput = new byte[4 + data.Length];
        header[4..].CopyTo(crcInput);
        data.CopyTo(crcInput, 4);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        png.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
