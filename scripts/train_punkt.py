"""Train the Punkt sentence-splitter parameters shipped in model/resources on English news."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nltk.tokenize.punkt import PunktTrainer

from model.text.sentences import PUNKT_PARAMS_PATH, SEED_ABBREVIATIONS


def read_articles(paths: list[Path]) -> str:
    """Concatenate the `article` fields of JSONL files, one paragraph block each."""
    texts: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            texts.extend(json.loads(line)["article"] for line in lines if line.strip())
    return "\n\n".join(texts)


def main() -> None:
    """Train on the given files and write the parameters as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "data",
        nargs="+",
        type=Path,
        help="JSONL files with an `article` field of cased English text "
        "(e.g. ../shared/data/bbc_news_summary/train.jsonl)",
    )
    parser.add_argument("--out", type=Path, default=PUNKT_PARAMS_PATH, help="output JSON file")
    args = parser.parse_args()

    trainer = PunktTrainer()
    trainer.INCLUDE_ALL_COLLOCS = True
    trainer.train(read_articles(args.data), finalize=True)
    params = trainer.get_params()
    abbreviations = set(params.abbrev_types) | SEED_ABBREVIATIONS
    payload = {
        "trained_on": [p.name for p in args.data],
        "abbrev_types": sorted(abbreviations),
        "collocations": sorted([a, b] for a, b in params.collocations),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": dict(sorted(params.ortho_context.items())),
    }
    args.out.write_text(json.dumps(payload, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: {len(abbreviations)} abbreviations, "
        f"{len(params.collocations)} collocations, {len(params.sent_starters)} sentence starters"
    )


if __name__ == "__main__":
    main()
