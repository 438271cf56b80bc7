"""axe-core (WCAG 2.1 A/AA, and 2.2's target size) on every page state the browser tests reach.

The ``page`` fixture calls :meth:`AxeWatch.check` after each navigation and after each click has
settled (a form refused with its errors, an htmx swap, a confirmation step), as whoever is logged
in. A state is checked once per run: its key is the address with numbers blanked, the shell and role
in the header, and the shape of what is shown (the ids in ``main``, whether errors are shown), so
the same page seen again costs nothing.

A violation of impact serious or critical fails the test that reached it. A moderate or minor one
fails too unless :data:`ACCEPTED` names its rule with the reason it stays. Every state's findings
are written to ``test-artifacts/axe-report.json`` (the per-page table of the closing note).

``AXE=record`` records without failing (to measure a page before a fix).
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import axe_playwright_python

from tests.support import ARTIFACTS, POSTGRES

AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}

# Moderate or minor findings that stay, each with its reason. Nothing serious or critical may be here.
ACCEPTED: dict[str, str] = {}

RECORD_ONLY = os.environ.get("AXE") == "record"
# The markup does not depend on the database: axe runs in the first half of .ci/run (SQLite, `make test`) and
# not again in the PostgreSQL + Redis half, which keeps .ci/run well inside its time (axe takes about 10 min
# of a run). AXE=on turns it on there too.
ENABLED = os.environ.get("AXE", "off" if POSTGRES else "on") != "off"

# What identifies a state of a page: the address without its numbers, who looks at it, and the shape
# of what is shown. Computed in the page in one call.
_STATE_JS = """() => {
  const main = document.querySelector('main') || document.body;
  const ids = Array.from(main.querySelectorAll('[id]')).map(e => e.id.replace(/[0-9]+/g, '#'));
  const who = [document.body.className, (document.querySelector('.context-bar') || {}).textContent || ''];
  return JSON.stringify({
    path: location.pathname.replace(/[0-9]+/g, '#'),
    query: Array.from(new URLSearchParams(location.search).keys()).sort(),
    who: who.join('|').replace(/\\s+/g, ' ').trim(),
    ids: Array.from(new Set(ids)).sort(),
    invalid: document.querySelectorAll('.is-invalid, [aria-invalid=true]').length > 0,
    open: Array.from(document.querySelectorAll('.show.dropdown-menu, .modal.show, dialog[open], details[open]')).length,
  });
}"""

_RUN_JS = """async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: (n.failureSummary || '').slice(0, 300)}))}));
}"""

_LOCK = threading.Lock()
SEEN: dict[str, dict] = {}  # state key -> {"page": ..., "who": ..., "violations": [...]}


def _failing(violation: dict) -> bool:
    return violation["impact"] in FAILING_IMPACTS or violation["id"] not in ACCEPTED


class AxeWatch:
    """One test page's checks; :meth:`problems` lists what fails the test."""

    def __init__(self, pg):
        self.pg = pg
        self.found: list[str] = []

    def check(self):
        if not ENABLED:
            return
        pg = self.pg
        try:
            if pg.is_closed() or not pg.url.startswith("http"):
                return
            state = pg.evaluate(_STATE_JS)
        except Exception:  # the page is navigating again, or gone: the next check sees where it went
            return
        if "application/pdf" in (state or ""):
            return
        with _LOCK:
            if state in SEEN:
                return
            SEEN[state] = {"pending": True}
        try:
            if not pg.evaluate("() => !!window.axe"):
                pg.evaluate(AXE_SOURCE)
            violations = pg.evaluate(_RUN_JS, TAGS)
        except Exception:  # navigated away while axe ran: check that state when it is seen again
            with _LOCK:
                SEEN.pop(state, None)
            return
        shape = json.loads(state)
        with _LOCK:
            SEEN[state] = {"page": shape["path"] + ("?" + "&".join(shape["query"]) if shape["query"] else ""),
                           "who": shape["who"], "invalid": shape["invalid"], "violations": violations}
        for v in violations:
            if _failing(v):
                nodes = "; ".join(n["target"] for n in v["nodes"][:5])
                self.found.append(f"{shape['path']} [{shape['who']}] {v['impact']} {v['id']}: {v['help']} "
                                  f"({len(v['nodes'])}: {nodes})")

    def problems(self) -> list[str]:
        return [] if RECORD_ONLY else self.found


def write_report():
    states = [s for s in SEEN.values() if "page" in s]
    if not states:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    states.sort(key=lambda s: (s["page"], s["who"], s["invalid"]))
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(states, ensure_ascii=False, indent=1), encoding="utf-8")


def summary_lines() -> list[str]:
    """Per page address: states checked, and violations by impact (for the terminal and the note)."""
    pages: dict[str, dict] = {}
    for s in SEEN.values():
        if "page" not in s:
            continue
        row = pages.setdefault(s["page"], {"states": 0})
        row["states"] += 1
        for v in s["violations"]:
            key = f"{v['impact']}:{v['id']}"
            row[key] = row.get(key, 0) + len(v["nodes"])
    return [f"{page}  {json.dumps(row, ensure_ascii=False)}" for page, row in sorted(pages.items())]

