using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// Sets VER_FLG_WEAK on the Vernaux entry named `Version` in .gnu.version_r (SHT_GNU_verneed) of 64-bit
// little-endian ELF files. Idempotent; files without that requirement are left untouched.
public class WeakenElfVersionRequirement : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var result = Patch(path);
                Log.LogMessage(MessageImportance.Normal, $"WeakenElfVersionRequirement: {path}: {result}");
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException)
            {
                Log.LogError($"WeakenElfVersionRequirement: cannot patch {path}: {ex.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private string Patch(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            return "not ELF64 little-endian, skipped";

        var shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        var shentsize = BitConverter.ToUInt16(elf, 0x3A);
        var shnum = BitConverter.ToUInt16(elf, 0x3C);
        var changed = 0;
        var found = 0;
        for (var i = 0; i < shnum; i++)
        {
            var sh = checked((int)(shoff + (long)i * shentsize));
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            var offset = (long)BitConverter.ToUInt64(elf, sh + 0x18);
            var link = BitConverter.ToUInt32(elf, sh + 0x28);
            var count = BitConverter.ToUInt32(elf, sh + 0x2C);
            var strtab = (long)BitConverter.ToUInt64(elf, checked((int)(shoff + (long)link * shentsize)) + 0x18);

            var vn = offset;
            for (var n = 0; n < count; n++)
            {
                var auxCount = BitConverter.ToUInt16(elf, (int)vn + 2);
                var aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = ReadCString(elf, strtab + BitConverter.ToUInt32(elf, (int)aux + 8));
                    if (name == Version)
                    {
                        found++;
                        var flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, (int)aux + 4);
                            changed++;
                        }
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(elf, (int)vn + 12);
            }
        }

        if (changed == 0)
            return found == 0 ? $"no {Version} requirement, nothing to do" : $"{Version} already weak";

        // Keep the timestamp so MSBuild's incremental copy still sees the file as up to date.
        var stamp = File.GetLastWriteTimeUtc(path);
        File.WriteAllBytes(path + ".tmp", elf);
        File.Delete(path); // replace rather than write through, in case the output is a hard link into the NuGet cache
        File.Move(path + ".tmp", path);
        File.SetLastWriteTimeUtc(path, stamp);
        return $"marked {Version} weak";
    }

    private static string ReadCString(byte[] data, long start)
    {
        var end = start;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
    }
}
