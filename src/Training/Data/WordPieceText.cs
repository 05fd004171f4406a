using System.Text;
using Microsoft.ML.Tokenizers;

namespace TransferHub.Training.Data;

/// <summary>
/// BERT's tokenization (basic split, lower-casing, WordPiece over a <c>vocab.txt</c>) through Microsoft.ML.Tokenizers:
/// <c>[CLS] pieces… [SEP]</c>, cut to the row length, padded with <c>[PAD]</c>. The vocabulary text travels with
/// the model (safetensors metadata), so a trained model tokenizes exactly as it was trained.
/// </summary>
public sealed class WordPieceText : ITextTokenizer
{
    public static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    private readonly BertTokenizer _tokenizer;

    private WordPieceText(BertTokenizer tokenizer, string vocabulary, bool lowerCase)
    {
        _tokenizer = tokenizer;
        Vocabulary = vocabulary;
        LowerCase = lowerCase;
        VocabularySize = vocabulary.Split('\n').Count(l => l.Length > 0);
    }

    /// <summary>The <c>vocab.txt</c> text: one token per line, the line number is the id.</summary>
    public string Vocabulary { get; }

    public int VocabularySize { get; }

    public bool LowerCase { get; }

    public int PadId => _tokenizer.PaddingTokenId;

    /// <exception cref="InvalidDataException">The vocabulary lacks one of BERT's special tokens.</exception>
    public static WordPieceText FromVocabulary(string vocabulary, bool lowerCase = true)
    {
        vocabulary = vocabulary.Replace("\r\n", "\n", StringComparison.Ordinal);
        var tokens = vocabulary.Split('\n').ToHashSet(StringComparer.Ordinal);
        var absent = SpecialTokens.Where(t => !tokens.Contains(t)).ToList();
        if (absent.Count > 0)
        {
            throw new InvalidDataException($"The vocabulary is not a BERT vocab.txt: it has no {string.Join(", ", absent)}.");
        }
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(vocabulary));
        var tokenizer = BertTokenizer.Create(stream, new BertOptions { LowerCaseBeforeTokenization = lowerCase });
        return new WordPieceText(tokenizer, vocabulary, lowerCase);
    }

    public long[] Encode(string text, int maxTokens)
    {
        if (maxTokens < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTokens), "A BERT row holds at least [CLS] and [SEP].");
        }
        var pieces = _tokenizer.EncodeToIds(text, maxTokens - 2, addSpecialTokens: false, out _, out _);
        var ids = new long[maxTokens];
        Array.Fill(ids, PadId);
        ids[0] = _tokenizer.ClassificationTokenId;
        for (var i = 0; i < pieces.Count; i++)
        {
            ids[i + 1] = pieces[i];
        }
        ids[pieces.Count + 1] = _tokenizer.SeparatorTokenId;
        return ids;
    }

    /// <summary>
    /// A vocabulary for an encoder trained from scratch: the special tokens, every character seen (alone and as a
    /// <c>##</c> continuation, so no word falls to [UNK]), then the most frequent words of the texts.
    /// </summary>
    public static string BuildVocabulary(IEnumerable<string> texts, int maxSize = 8192)
    {
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var characters = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var word in BasicWords(text))
            {
                words[word] = words.GetValueOrDefault(word) + 1;
                foreach (var rune in word.EnumerateRunes())
                {
                    characters.Add(rune.ToString());
                }
            }
        }
        var vocabulary = new List<string>(SpecialTokens);
        vocabulary.AddRange(characters);
        vocabulary.AddRange(characters.Select(c => "##" + c));
        var seen = vocabulary.ToHashSet(StringComparer.Ordinal);
        vocabulary.AddRange(words.Where(w => !seen.Contains(w.Key))
            .OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal)
            .Take(Math.Max(0, maxSize - vocabulary.Count)).Select(w => w.Key));
        return string.Join('\n', vocabulary) + "\n";
    }

    // BERT's basic tokenization, lower-cased: runs of letters/digits are words, every other non-space character stands alone.
    private static IEnumerable<string> BasicWords(string text)
    {
        var word = new StringBuilder();
        foreach (var ch in text)
        {
            if (char.IsLetterOrDigit(ch))
            {
                word.Append(char.ToLowerInvariant(ch));
                continue;
            }
            if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
            if (!char.IsWhiteSpace(ch) && !char.IsControl(ch))
            {
                yield return ch.ToString();
            }
        }
        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }
}
