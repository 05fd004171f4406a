using TransferHub.Training.Worker;

namespace TransferHub.Training.Cli;

// import-hf: a Hugging Face BERT/MiniLM folder (or its .zip) → one text-bert safetensors file that carries its
// config and vocabulary, ready for `train --arch text-bert --weights` and for the platform's Weights page.
internal static class ImportHfCommand
{
    public const string Usage = "import-hf --model <folder with model.safetensors, vocab.txt [, config.json, tokenizer_config.json] | folder.zip> --out bert.safetensors";

    public static int Run(CliArguments args)
    {
        var source = args.Required("model");
        var output = args.Required("out");
        args.EnsureAllUsed();
        var info = Directory.Exists(source)
            ? WeightsImport.FromHuggingFaceFolder(source, output)
            : WeightsImport.Import(source, "text-bert", null, output);
        Console.WriteLine($"{info.Architecture}: {info.Tensors} tensors, {info.Parameters:N0} parameters → {output}");
        return 0;
    }
}
