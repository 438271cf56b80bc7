"""What changed since the previous meeting, to show in red (更新處請以紅字表示).

Chinese has no spaces between words, so the unit of comparison is a token:
a run of letters/digits (so '108年6月30日' changes as a whole date), or a
single CJK character or punctuation mark."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

TOKEN = re.compile(r"[A-Za-z0-9０-９]+|\s+|.", re.S)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text or "")


def marked(previous: str, current: str) -> list[tuple[str, bool]]:
    """The current text as (segment, changed) pairs; changed segments are new or rewritten."""
    before, after = tokens(previous), tokens(current)
    if not before:
        return [(current, bool(current))] if current else []
    out: list[tuple[str, bool]] = []
    for op, _, _, j1, j2 in SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        segment = "".join(after[j1:j2])
        if not segment:
            continue
        changed = op in ("replace", "insert")
        if out and out[-1][1] == changed:
            out[-1] = (out[-1][0] + segment, changed)
        else:
            out.append((segment, changed))
    return out
