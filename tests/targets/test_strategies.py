"""The 2.0 strategies are named once, in the catalogue's data: the services and the board's measures use those names."""
import json

import pytest

from app.cases import catalogue
from app.cases.reference_admin import parse_catalogue_lines
from app.targets.registry import MEASURES, Measure, register


def test_six_strategies_as_seed_003_names_them():
    assert [s.label for s in catalogue.strategies()] == [
        "策略一 攜幼扶老", "策略二 優化提升", "策略三 布建心衛", "策略四 常態落實", "策略五 專業久任", "策略六 科技導入"]
    assert catalogue.strategy(2) == "策略二 優化提升"
    with pytest.raises(KeyError):
        catalogue.strategy(7)


def test_every_2_0_service_and_every_measure_carries_a_catalogue_strategy():
    labels = {s.label for s in catalogue.strategies()}
    data = json.loads(catalogue.CATALOGUE_FILE.read_text(encoding="utf-8"))
    two = next(v for v in data["versions"] if v["effective_from"] == "2026-01-01")
    assert {i["strategy"] for i in two["items"]} <= labels
    assert {m.strategy for m in MEASURES.values()} <= labels
    assert MEASURES["investigation_dispatch"].strategy == MEASURES["image_removal"].strategy == "策略二 優化提升"
    assert MEASURES["parenting_guidance"].strategy == MEASURES["elder_alone_reach"].strategy == "策略一 攜幼扶老"
    assert MEASURES["child_protection_coverage"].strategy == "策略四 常態落實"


def test_a_measure_or_a_catalogue_line_with_a_hand_typed_strategy_is_refused():
    measure = next(iter(MEASURES.values()))
    with pytest.raises(ValueError, match="no 2.0 strategy"):
        register(Measure(**{**measure.__dict__, "code": "x_typo", "strategy": "策略二：優化社安網通報機制"}))
    assert "x_typo" not in MEASURES
    items, problems = parse_catalogue_lines("s1_consultation｜福利諮詢｜一般家庭｜策略一攜幼扶老｜否", set())
    assert not items and "不是社安網2.0的策略" in problems[0]
