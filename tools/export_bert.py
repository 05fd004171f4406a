#!/usr/bin/python3
"""Writes a Hugging Face–layout BERT folder (model.safetensors with bert.* / pooler / classifier names as
BertForSequenceClassification saves them, vocab.txt, config.json, tokenizer_config.json) and one reference
input/output pair, from a plain-PyTorch BERT written below (transformers is not installable here), so that

    /usr/bin/python3 tools/export_bert.py --out /tmp/bert
    dotnet src/Training/bin/Release/net10.0/linux-x64/TransferHub.Training.dll import-hf --model /tmp/bert --out /tmp/bert/ours.safetensors
    dotnet src/Training/bin/Release/net10.0/linux-x64/TransferHub.Training.dll verify --weights /tmp/bert/ours.safetensors --io /tmp/bert/io.safetensors

checks that text-bert loads Hugging Face names one to one and computes what BERT computes (exact GELU, post-LN,
padding mask), with mean pooling over real tokens and the classifier on top. Needs Debian's python3-torch.
"""
import argparse
import json
import math
import os

import torch
from torch import nn

from export_torchvision import write_safetensors


class SelfAttention(nn.Module):
    def __init__(self, h, heads):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.heads = heads

    def forward(self, x, mask):
        n, l, h = x.shape
        split = lambda t: t.view(n, l, self.heads, h // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads) + (1.0 - mask[:, None, None, :]) * -10000.0
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, l, h)


class Residual(nn.Module):
    def __init__(self, inp, h, eps):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(inp, h), nn.LayerNorm(h, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c["hidden_size"], c["num_attention_heads"])
        self.output = Residual(c["hidden_size"], c["hidden_size"], c["layer_norm_eps"])

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention, self.intermediate = Attention(c), Intermediate(c)
        self.output = Residual(c["intermediate_size"], c["hidden_size"], c["layer_norm_eps"])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=0)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, ids):
        positions = torch.arange(ids.shape[1])[None, :]
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(positions)
                              + self.token_type_embeddings(torch.zeros_like(ids)))


class Pooler(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.dense = nn.Linear(h, h)


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings, self.encoder, self.pooler = Embeddings(c), Encoder(c), Pooler(c["hidden_size"])

    def forward(self, ids):
        mask = (ids != 0).float()
        x = self.embeddings(ids)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)  # mean over real tokens


class Classifier(nn.Module):
    def __init__(self, c, classes):
        super().__init__()
        self.bert, self.classifier = Bert(c), nn.Linear(c["hidden_size"], classes)

    def forward(self, ids):
        return self.classifier(self.bert(ids))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--classes", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = ["the", "a", "good", "bad", "film", "plot", "actor", "##s", "##ing", "was", "is", "not", "very"]
    vocab = specials + words + [f"w{i}" for i in range(200)]
    # Four heads of 16 (not width / 64): the head count must come from config.json.
    config = {"model_type": "bert", "vocab_size": len(vocab), "hidden_size": 64, "num_hidden_layers": 2,
              "num_attention_heads": 4, "intermediate_size": 128, "max_position_embeddings": 64,
              "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
              "attention_probs_dropout_prob": 0.1, "pad_token_id": 0}
    model = Classifier(config, args.classes).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)  # larger than BERT's 0.02, so every weight visibly moves the output
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), model.state_dict(), {"format": "pt"})
    with open(os.path.join(args.out, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True}, f)
    ids = torch.randint(5, len(vocab), (4, 16))
    ids[:, 0] = 2
    ids[1, 9:] = 0   # padding, to check the mask
    ids[1, 8] = 3
    with torch.no_grad():
        out = model(ids)
    write_safetensors(os.path.join(args.out, "io.safetensors"), {"input": ids, "output": out})
    print(f"wrote {args.out}: {sum(p.numel() for p in model.parameters())} parameters, output {tuple(out.shape)}")


if __name__ == "__main__":
    main()
