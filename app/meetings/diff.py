"""What changed since the previous meeting, to show in red (更新處請以紅字表示).

Chinese has no spaces between words, so the unit of comparison is a token:
a run of letters/digits (so '108年6月30日' changes as a whole date), or a
single CJK character or punctuation mark.

The alignment is difflib's (``SequenceMatcher(autojunk=False)``: the longest
matching block first, then the same on each side of it), computed here with
the token sequences encoded as strings of one character per distinct token so
that the search for the longest block is ``str.find`` in C instead of
difflib's dictionary walk in Python: same blocks, same red, several times
faster. A pair of texts is diffed once per process (``marked`` is cached)."""
from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

TOKEN = re.compile(r"[A-Za-z0-9０-９]+|\s+|.", re.DOTALL)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text or "")


# A text that keeps less than this share of the previous one is a rewrite: all red.
REWRITE_BELOW = 0.35
# Characters that happen to match inside rewritten text (本部…已…資料) are noise, not
# unchanged words: an unchanged run this short between two changes is shown as changed.
MIN_KEPT_TOKENS = 3
# Distinct (previous, current) pairs kept per process: a 100-item table has about 250.
CACHE_PAIRS = 4096


def _encode(before: list[str], after: list[str]) -> tuple[str, str]:
    """Both token lists as strings with one character per token, equal characters for equal tokens."""
    codes: dict[str, str] = {}
    code = codes.setdefault
    return ("".join([code(t, chr(len(codes))) for t in before]),
            "".join([code(t, chr(len(codes))) for t in after]))


def _longest(a: str, b: str, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
    """difflib's ``find_longest_match`` without junk: the longest block of a[alo:ahi] also in b[blo:bhi],
    the one starting earliest in a, and of those the earliest in b; (alo, blo, 0) when nothing matches."""
    find = b.find
    besti, bestsize = alo, 0
    for i in range(alo, ahi):
        if ahi - i <= bestsize:
            break  # no longer block can start here
        while i + bestsize < ahi and find(a[i:i + bestsize + 1], blo, bhi) >= 0:
            besti, bestsize = i, bestsize + 1
    if not bestsize:
        return alo, blo, 0
    return besti, find(a[besti:besti + bestsize], blo, bhi), bestsize


def matching_blocks(a: str, b: str) -> list[tuple[int, int, int]]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()``, as plain triples."""
    la, lb = len(a), len(b)
    queue, blocks = [(0, la, 0, lb)], []
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        i, j, k = found = _longest(a, b, alo, ahi, blo, bhi)
        if k:
            blocks.append(found)
            if alo < i and blo < j:
                queue.append((alo, i, blo, j))
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi))
    blocks.sort()
    i1 = j1 = k1 = 0
    out = []
    for i2, j2, k2 in blocks:  # adjacent blocks become one, as difflib does
        if i1 + k1 == i2 and j1 + k1 == j2:
            k1 += k2
        else:
            if k1:
                out.append((i1, j1, k1))
            i1, j1, k1 = i2, j2, k2
    if k1:
        out.append((i1, j1, k1))
    out.append((la, lb, 0))
    return out


def marked(previous: str, current: str) -> list[tuple[str, bool]]:
    """The current text as (segment, changed) pairs; changed segments are new or rewritten."""
    return list(_marked(previous or "", current or ""))


@lru_cache(maxsize=CACHE_PAIRS)
def marked_html(previous: str, current: str) -> Markup:
    """The current text, escaped, with the changed segments in ``<span class="changed">`` (page and PDF)."""
    return Markup("").join(Markup('<span class="changed">%s</span>') % text if changed else escape(text)
                           for text, changed in _marked(previous or "", current or ""))


@lru_cache(maxsize=CACHE_PAIRS)
def _marked(previous: str, current: str) -> tuple[tuple[str, bool], ...]:
    before, after = tokens(previous), tokens(current)
    if not after:
        return ()
    if not before:
        return ((current, True),)
    if previous == current:
        return ((current, False),)
    a, b = _encode(before, after)
    blocks = matching_blocks(a, b)
    if 2.0 * sum(k for _, _, k in blocks) / (len(a) + len(b)) < REWRITE_BELOW:  # difflib's ratio()
        return ((current, True),)
    runs, j = [], 0  # the current text's side of get_opcodes(): what is not in a block is new
    for _, bj, size in blocks:
        if j < bj:
            runs.append((after[j:bj], True))
        if size:
            runs.append((after[bj:bj + size], False))
        j = bj + size
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
    return tuple(out)
