"""The one disclosure rule (app/reports/disclosure.py): for random tables with row and column
totals, after masking no row or column (totals included) has exactly one hidden cell, no hidden
cell follows from the published cells by linear deduction, and for small tables a brute-force
search over every filling consistent with what is published (hidden cells are only known to be
at least 1) finds at least two values for every hidden cell."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.reports import disclosure
from app.reports.disclosure import Group, Sheet


def grid(body: list[list[int]]):
    """A table with a total column, a total row and a grand total, as values and groups."""
    n, m = len(body), len(body[0])
    values = {(i, j): body[i][j] for i in range(n) for j in range(m)}
    for i in range(n):
        values[(i, "T")] = sum(body[i])
    for j in range(m):
        values[("T", j)] = sum(body[i][j] for i in range(n))
    values[("T", "T")] = sum(map(sum, body))
    groups = [Group(tuple((i, j) for j in range(m)), (i, "T")) for i in range(n)]
    groups += [Group(tuple((i, j) for i in range(n)), ("T", j)) for j in range(m)]
    groups += [Group(tuple((i, "T") for i in range(n)), ("T", "T")),
               Group(tuple(("T", j) for j in range(m)), ("T", "T"))]
    return values, groups


def tables(max_rows=5, max_cols=5, max_value=12):
    return st.integers(1, max_rows).flatmap(lambda n: st.integers(1, max_cols).flatmap(
        lambda m: st.lists(st.lists(st.integers(0, max_value), min_size=m, max_size=m), min_size=n, max_size=n)))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(tables())
def test_no_group_has_one_hidden_cell_and_none_is_linearly_derivable(body):
    values, groups = grid(body)
    hidden = disclosure.suppress(values, groups)
    assert {k for k, v in values.items() if 0 < v < 3} <= hidden  # every 1–2 is hidden
    assert all(values[k] for k in hidden)  # 0 is shown
    for g in groups:
        assert sum(k in hidden for k in (*g.parts, g.total)) != 1, g
    assert disclosure.determined(values, groups, hidden) == set()


def feasible_values(values, groups, hidden, bound):
    """Every value each hidden cell takes over all fillings (hidden cells 1..bound) consistent with the
    groups: a depth-first search that checks each group once all its cells have values."""
    unknown = sorted(hidden, key=repr)
    seen = {k: set() for k in unknown}
    v = dict(values)
    for k in unknown:
        del v[k]
    ready = {}  # the groups to check once the i-th unknown has its value
    for g in groups:
        last = max((unknown.index(k) for k in (*g.parts, g.total) if k in hidden), default=-1)
        ready.setdefault(last, []).append(g)

    def search(i):
        if i == len(unknown):
            for k in unknown:
                seen[k].add(v[k])
            return
        for x in range(1, bound + 1):
            v[unknown[i]] = x
            if all(sum(v[p] for p in g.parts) == v[g.total] for g in ready.get(i, [])):
                search(i + 1)
        del v[unknown[i]]

    search(0)
    return seen


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(tables(max_rows=2, max_cols=3, max_value=5))
def test_brute_force_finds_two_values_for_every_hidden_cell(body):
    values, groups = grid(body)
    hidden = disclosure.suppress(values, groups)
    bound = max(values.values()) + 2  # a reader who knows more than the truth: no smaller upper bound
    for key, seen in feasible_values(values, groups, hidden, bound).items():
        assert values[key] in seen and len(seen) >= 2, (body, key, seen)


def test_the_issue_cases():
    # one county submitted: the national row equals that county's row, so both hide the same cells
    sheet = Sheet()
    a = [sheet.cell(("臺北市", c), v) for c, v in enumerate([10, 1, 9])]
    t = [sheet.cell(("全國", c), v) for c, v in enumerate([10, 1, 9])]
    for c in range(3):
        sheet.sum([a[c]], t[c])
    sheet.sum(a[1:], a[0])
    sheet.sum(t[1:], t[0])
    sheet.table("t", ["", "合計", "甲", "乙"], [["臺北市", *a], ["全國", *t]])
    (_, _, rows), = sheet.publish()
    assert rows[0][1:] == rows[1][1:] and rows[0][2] == "*" and "*" in (rows[0][1], rows[0][3])
