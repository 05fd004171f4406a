namespace TransferHub.Training.Data;

/// <summary>Turns a text into a fixed-length row of token ids (padding included) for a text model.</summary>
public interface ITextTokenizer
{
    long[] Encode(string text, int maxTokens);
}

/// <summary>Lower-cased words hashed into buckets (<see cref="JsonlText.Tokenise"/>), padded with 0: no vocabulary file to carry.</summary>
public sealed class HashedWords(int buckets = JsonlText.DefaultBuckets) : ITextTokenizer
{
    public static HashedWords Default { get; } = new();

    public long[] Encode(string text, int maxTokens)
    {
        var ids = new long[maxTokens];
        var i = 0;
        foreach (var id in JsonlText.Tokenise(text, buckets))
        {
            if (i == maxTokens) break;
            ids[i++] = id;
        }
        return ids;
    }
}
