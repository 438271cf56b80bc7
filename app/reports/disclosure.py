"""The one disclosure rule for every table the ministry sees (screen, CSV, XLSX, PDF).

Rule (stated on every page and file as :data:`NOTE`):

1. Primary: every count of 1 or 2 is not published; 0 is shown.
2. Complementary (secondary): a hidden count must not be recomputable from what is
   published. Every published sum relation (a row or column and its total, a total
   repeated in another table, a county column and the national row) is a *group*; after
   masking no group may hold exactly one hidden cell, nor hidden cells that must all be 1
   (their sum, known from the group, equals their number), and no hidden cell may follow
   from all groups together by linear deduction. Where one would, the next smallest
   published non-zero cell of that group is hidden too (a total when nothing else is left).
3. Every hidden cell shows the same mark 「*」, whatever the reason, so a reader cannot tell
   a 1–2 from a complementary cell (a reader only learns that the count is at least 1).
4. A figure computed from counts (a rate, a median, an amount) is hidden when a count it is
   computed from is hidden or is 1–2 (its numerator, denominator or their difference).

The rule is applied here only: the ministry's tables are built as a :class:`Sheet` of keyed
counts and groups (see :mod:`app.reports.ministry`), and :meth:`Sheet.publish` is the only
way they become rows. A county's own administrator sees the county's exact figures."""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from fractions import Fraction

from .queries import rate as compute

THRESHOLD = 3
MARK = "*"
NOTE = (f"揭露規則：1–{THRESHOLD - 1} 之件數不公開；為免由合計、其他欄列或其他表推算，另隱藏必要之次小數字；"
        f"隱藏之數字一律以「{MARK}」表示（0 照列）。由件數算出之比率、中位數與金額，其所據件數隱藏或為 1–{THRESHOLD - 1} 時亦隱藏。")


def small(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < THRESHOLD


@dataclass(frozen=True)
class Group:
    """sum(parts) == total (an equality a == b is a group with one part)."""
    parts: tuple
    total: Hashable


def pinned(values: dict, groups: list[Group], hidden: set) -> set:
    """Hidden cells whose value a reader can bound to one number: each hidden cell is only known to be
    at least 1; bounds are propagated through every group (a sum of bounded parts bounds its total and
    the other way round) until nothing changes. Covers a group with one hidden cell, hidden cells whose
    known sum forces them all to be 1, and such bounds chained across tables."""
    inf = float("inf")
    lo, hi = {k: 1 for k in hidden}, {k: inf for k in hidden}
    relevant = [g for g in groups if any(k in hidden for k in (*g.parts, g.total))]
    for _ in range(50):
        changed = False
        for g in relevant:
            known = sum(values[k] for k in g.parts if k not in hidden)
            parts = [k for k in g.parts if k in hidden]
            t_lo, t_hi = (lo[g.total], hi[g.total]) if g.total in hidden else (values[g.total],) * 2
            if g.total in hidden:
                new_lo, new_hi = max(t_lo, known + sum(lo[p] for p in parts)), min(t_hi, known + sum(hi[p] for p in parts))
                if (new_lo, new_hi) != (t_lo, t_hi):
                    lo[g.total], hi[g.total], t_lo, t_hi, changed = new_lo, new_hi, new_lo, new_hi, True
            for p in parts:
                others_lo = sum(lo[q] for q in parts if q != p)
                others_hi = sum(hi[q] for q in parts if q != p)
                new_lo, new_hi = max(lo[p], t_lo - known - others_hi), min(hi[p], t_hi - known - others_lo)
                if (new_lo, new_hi) != (lo[p], hi[p]):
                    lo[p], hi[p], changed = new_lo, new_hi, True
        if not changed:
            break
    return {k for k in hidden if lo[k] >= hi[k]}


def _reduced(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """The reduced row echelon form (exact, over fractions), zero rows dropped."""
    m = [row[:] for row in rows]
    rank, width = 0, len(m[0]) if m else 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(m)) if m[r][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        lead = m[rank][col]
        m[rank] = [a / lead for a in m[rank]]
        for r in range(len(m)):
            if r != rank and m[r][col] != 0:
                f = m[r][col]
                m[r] = [a - f * b for a, b in zip(m[r], m[rank])]
        rank += 1
    return m[:rank]


def determined(values: dict, groups: list[Group], hidden: set) -> set:
    """Hidden cells that follow from the groups by linear deduction (the published cells known):
    a cell is determined when its unit vector lies in the span of the groups' equations, that is
    when a row of the reduced echelon form has no other non-zero entry."""
    unknown = sorted(hidden, key=repr)
    index = {k: i for i, k in enumerate(unknown)}
    rows = []
    for g in groups:
        row = [Fraction(0)] * len(unknown)
        for k in g.parts:
            if k in index:
                row[index[k]] += 1
        if g.total in index:
            row[index[g.total]] -= 1
        if any(row):
            rows.append(row)
    out = set()
    for row in _reduced(rows):
        nonzero = [i for i, a in enumerate(row) if a != 0]
        if len(nonzero) == 1:
            out.add(unknown[nonzero[0]])
    return out


def suppress(values: dict, groups: list[Group]) -> set:
    """The cells to hide: the 1–2s, then complementary cells until no hidden cell can be recomputed."""
    hidden = {k for k, v in values.items() if small(v)}
    groups = [g for g in groups if all(k in values for k in (*g.parts, g.total))]

    def complement(group: Group, avoid=frozenset()) -> bool:
        """Hide the smallest published non-zero cell of the group (parts first, then the total)."""
        candidates = [k for k in group.parts if k not in hidden and k not in avoid and values[k]]
        if not candidates and group.total not in hidden and values[group.total]:
            candidates = [group.total]
        if not candidates:
            return False
        hidden.add(min(candidates, key=lambda k: (values[k], repr(k))))
        return True

    for _ in range(10 * len(values) + 10):
        exposed = pinned(values, groups, hidden) or determined(values, groups, hidden)
        if not exposed:
            break
        if any(complement(g) for cell in sorted(exposed, key=repr) for g in groups if cell in (*g.parts, g.total)):
            continue
        # Every group around them is hidden already: the deduction runs through other groups. Hide the smallest
        # published cell (of a group that holds a hidden one) that breaks it, else the smallest such cell.
        cell = min(exposed, key=repr)
        candidates = sorted({k for g in groups if any(c in hidden for c in (*g.parts, g.total))
                             for k in (*g.parts, g.total) if k not in hidden and values[k]},
                            key=lambda k: (values[k], repr(k)))
        if not candidates:
            break
        for k in candidates:
            trial = hidden | {k}
            if cell not in pinned(values, groups, trial) | determined(values, groups, trial):
                hidden.add(k)
                break
        else:
            hidden.add(candidates[0])
    return hidden


# --- Tables made of keyed cells ---------------------------------------------------------------

@dataclass(frozen=True)
class Ref:
    key: Hashable


@dataclass(frozen=True)
class Derived:
    """A figure computed from counts: shown as ``shown`` unless a count it rests on is hidden or small."""
    shown: object
    keys: tuple = ()       # published counts it is computed from
    counts: tuple = ()     # other counts it rests on (numerators that are not published, differences)


@dataclass
class Sheet:
    values: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def cell(self, key, value: int) -> Ref:
        if key in self.values and self.values[key] != value:
            raise ValueError(f"{key!r}: {self.values[key]} ≠ {value}")
        self.values[key] = int(value)
        return Ref(key)

    def sum(self, parts, total) -> None:
        parts = tuple(p.key if isinstance(p, Ref) else p for p in parts)
        total = total.key if isinstance(total, Ref) else total
        self.groups.append(Group(parts, total))

    def table(self, title: str, header: list[str], rows: list[list]) -> None:
        self.tables.append((title, header, rows))

    def hidden(self) -> set:
        return suppress(self.values, self.groups)

    def publish(self, *, numbers: bool = False) -> list[tuple[str, list[str], list[list]]]:
        """The tables with every hidden cell replaced by :data:`MARK`. Rates stay as their display text
        unless ``numbers`` (the XLSX), where a rate is a float fraction for a percentage format."""
        hidden = self.hidden()

        def out(cell):
            if isinstance(cell, Ref):
                return MARK if cell.key in hidden else self.values[cell.key]
            if isinstance(cell, Derived):
                keys = [k.key if isinstance(k, Ref) else k for k in cell.keys]
                if any(k in hidden for k in keys) or any(small(self.values[k]) for k in keys) \
                        or any(small(c) for c in cell.counts):
                    return MARK
                if numbers and isinstance(cell.shown, Rate):
                    return cell.shown
                return str(cell.shown) if isinstance(cell.shown, Rate) else cell.shown
            return cell

        return [(title, header, [[out(c) for c in row] for row in rows]) for title, header, rows in self.tables]


@dataclass(frozen=True)
class Rate:
    """A percentage (40.93) that prints as 「40.93%」 and is stored in a workbook as the number 0.4093."""
    value: float | None

    def __str__(self) -> str:
        return "—" if self.value is None else f"{self.value:.2f}%"


def rate(numerator: int, denominator: int, keys: tuple = ()) -> Derived:
    return Derived(Rate(compute(numerator, denominator)), keys, (numerator, denominator, denominator - numerator))
