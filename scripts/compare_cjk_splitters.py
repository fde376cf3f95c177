"""Compare the project's splitter with sentencex on the Chinese cases written for the tests.

Counts the reference sentences each splitter returns exactly (same text, found at its place)
and the cases it splits wholly right. ``pip install sentencex`` to include it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from model.text.sentences import split_sentences

CASES = Path(__file__).resolve().parents[1] / "tests" / "model" / "fixtures" / "zh_sentences.json"
Splitter = Callable[[str], list[str]]


def candidates() -> dict[str, Splitter]:
    """The project's splitter, and sentencex where it imports."""
    found: dict[str, Splitter] = {"project": lambda t: [s.text for s in split_sentences(t)]}
    try:
        from sentencex import segment

        found["sentencex"] = lambda t: [s.strip() for s in segment("zh", t) if s.strip()]
    except ImportError:
        pass
    return found


def main() -> None:
    """Print a table of exact sentences and wholly right cases per splitter, and the misses."""
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    total = sum(len(case["sentences"]) for case in cases)
    print("| splitter | sentences exact | cases right |")
    print("| --- | --- | --- |")
    misses: list[str] = []
    for name, splitter in candidates().items():
        exact = right = 0
        for case in cases:
            got = splitter(case["text"])
            exact += len(set(got) & set(case["sentences"]))
            right += got == case["sentences"]
            if got != case["sentences"]:
                misses.append(f"{name}, {case['name']}: {got}")
        print(f"| {name} | {exact}/{total} | {right}/{len(cases)} |")
    print("\n".join(misses))


if __name__ == "__main__":
    main()
