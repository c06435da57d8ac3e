"""How much pruning the vocabulary and int8 change multilingual-e5's embeddings.

    python -m monitor.multilingual.check_pruned [--check TSV ...] [--public 200]

Texts: the language fixtures (`tests/fixtures/languages/*.tsv`) and the `--check` files (`language<TAB>text`),
plus, with `--public N`, the first N test-split rows (sha256-of-text order) of GermEval 2021 and N/3 each
of ThreatGram, Davidson and CLEF-2019 (evaluation only). Each is embedded (`query: ` + text, last layer mean
pooled, L2) by the unpruned rebuilt model in torch fp32 — the reference — and compared with: the pruned
vocabulary (same weights; only texts whose segmentation changes can differ, so only those are re-run) and
the shipped int8 engine (`models/onnx-multilingual`). Reports token-sequence identity and cosine, overall and
per language, as JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import click
import numpy as np

from monitor.multilingual.bench import FIXTURES
from monitor.multilingual.engine import MODEL_FILE, MultilingualEncoder
from monitor.multilingual.prune import QUERY_PREFIX, pruned_vocabulary
from monitor.multilingual.q4 import read_packed
from monitor.multilingual.rebuild_e5 import build_model, build_tokenizer, package_dir, read_samples
from monitor.multilingual.vocab_usage import KEPT_FILE, read_kept


def public_samples(n: int) -> list[tuple[str, str]]:
    from monitor.classify import corpora

    out = []
    for name, count in (("germeval2021", n), ("threatgram", n // 3), ("davidson", n // 3), ("clef2019", n // 3)):
        rows = [e for e in corpora.SOURCES[name].read(corpora.default_root()) if e.split == "test"]
        rows.sort(key=lambda e: hashlib.sha256(e.text.encode()).hexdigest())
        out += [(e.language, e.text) for e in rows[:count]]
    return out


def pooled(model, ids: list[list[int]], pad: int, max_tokens: int = 128) -> np.ndarray:
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(ids), 32):
            batch = [x[: max_tokens - 1] + x[-1:] if len(x) > max_tokens else x for x in ids[i:i + 32]]
            width = max(map(len, batch))
            tok = torch.tensor([x + [pad] * (width - len(x)) for x in batch])
            mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in batch])
            hidden = model(input_ids=tok, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            out.append(torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=-1).numpy())
    return np.concatenate(out)


def summary(samples: list[tuple[str, str]], cos: np.ndarray, same: list[bool] | None = None) -> dict:
    per: dict[str, list[int]] = defaultdict(list)
    for i, (lang, _) in enumerate(samples):
        per[lang].append(i)
    out = {"texts": len(samples), "cosine_mean": round(float(cos.mean()), 5), "cosine_min": round(float(cos.min()), 4),
           "per_language": {lang: {"n": len(idx), "mean": round(float(cos[idx].mean()), 5), "min": round(float(cos[idx].min()), 4)}
                            for lang, idx in sorted(per.items())}}
    if same is not None:
        out["token_ids_identical"] = round(float(np.mean(same)), 4)
    return out


@click.command()
@click.option("--check", "files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public", type=int, default=0, help="add this many GermEval test rows (and English ones)")
@click.option("--threads", type=int, default=2, show_default=True)
def main(files: tuple[Path, ...], public: int, threads: int) -> None:
    """Print the pruned-vs-full and int8-vs-full comparison as JSON."""
    import torch

    torch.set_num_threads(threads)
    samples = read_samples([*sorted(FIXTURES.glob("*.tsv")), *files], 10_000) + (public_samples(public) if public else [])
    texts = [t for _, t in samples]
    model_file = package_dir() / MODEL_FILE
    packed = read_packed(model_file)
    rows = read_kept(KEPT_FILE, model_file)
    full_tok, small_tok = build_tokenizer(packed, QUERY_PREFIX), build_tokenizer(pruned_vocabulary(packed, rows), QUERY_PREFIX)
    full_ids = full_tok.backend_tokenizer.encode_batch(texts)
    small_ids = [rows[e.ids].tolist() for e in small_tok.backend_tokenizer.encode_batch(texts)]
    full_ids = [e.ids for e in full_ids]
    same = [a == b for a, b in zip(full_ids, small_ids)]
    model = build_model(packed)  # the full vocabulary; pruned ids mapped back select the same rows
    reference = pooled(model, full_ids, packed.pad)
    pruned = reference.copy()
    changed = [i for i, ok in enumerate(same) if not ok]
    if changed:
        pruned[changed] = pooled(model, [small_ids[i] for i in changed], packed.pad)
    engine = MultilingualEncoder(threads=threads).encode(texts, 32)
    click.echo(json.dumps({
        "pruned_vs_full_fp32": summary(samples, np.sum(pruned * reference, axis=1), same),
        "int8_engine_vs_full_fp32": summary(samples, np.sum(engine * reference, axis=1)),
        "int8_engine_vs_pruned_fp32": summary(samples, np.sum(engine * pruned, axis=1)),
        "pieces": len(rows),
    }, indent=1))


if __name__ == "__main__":
    main()
