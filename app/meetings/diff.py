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


# A text that keeps less than this share of the previous one is a rewrite: all red.
REWRITE_BELOW = 0.35
# Characters that happen to match inside rewritten text (本部…已…資料) are noise, not
# unchanged words: an unchanged run this short between two changes is shown as changed.
MIN_KEPT_TOKENS = 3


def marked(previous: str, current: str) -> list[tuple[str, bool]]:
    """The current text as (segment, changed) pairs; changed segments are new or rewritten."""
    before, after = tokens(previous), tokens(current)
    if not after:
        return []
    matcher = SequenceMatcher(a=before, b=after, autojunk=False)
    if not before or matcher.ratio() < REWRITE_BELOW:
        return [(current, True)]
    runs = [(after[j1:j2], op != "equal") for op, _, _, j1, j2 in matcher.get_opcodes() if j2 > j1]
    for k, (toks, changed) in enumerate(runs):
        between_changes = 0 < k < len(runs) - 1 and runs[k - 1][1] and runs[k + 1][1]
        if not changed and between_changes and len([t for t in toks if not t.isspace()]) < MIN_KEPT_TOKENS:
            runs[k] = (toks, True)
    out: list[tuple[str, bool]] = []
    for toks, changed in runs:
        segment = "".join(toks)
        if out and out[-1][1] == changed:
            out[-1] = (out[-1][0] + segment, changed)
        else:
            out.append((segment, changed))
    return out
