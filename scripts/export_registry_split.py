"""Write the train and calibration rows of public sources, by the registry's group split, as JSONL for `cct-monitor train`.

`cct-monitor train` splits each file on its own; a head trained on a whole public file may see rows that the
registry's split (`monitor.classify.corpora.split_of`, which `cct-monitor eval` scores as the test split) holds
out. Training on this export keeps those test rows out. Rows keep their source order (debates stay in transcript
order, so `context=previous` sees the real preceding lines) and carry `text`, `label` (the task's 0/1),
`group` (the registry's group) and `source`.
Usage: python scripts/export_registry_split.py --task claim --out FILE SOURCE [SOURCE ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from monitor.classify import corpora


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", choices=sorted(corpora.SOURCES))
    parser.add_argument("--task", required=True, choices=corpora.TASKS)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = [e for e in corpora.load(args.sources) if args.task in e.labels]
    kept = corpora.train_examples(rows, "train") + corpora.train_examples(rows, "calib")
    order = {id(e): i for i, e in enumerate(rows)}
    kept.sort(key=lambda e: order[id(e)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for e in kept:
            f.write(json.dumps({"text": e.text, "label": e.labels[args.task], "group": f"{e.source}:{e.group}",
                                "source": e.source}, ensure_ascii=False) + "\n")
    print(f"{args.out}: {len(kept)} of {len(rows)} rows ({sum(e.labels[args.task] for e in kept)} positive); "
          f"the registry's test split and official test rows left out")


if __name__ == "__main__":
    main()
