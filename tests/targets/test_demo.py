"""The board's demo: 臺北市's entered denominators with their sources, the rates they give, the snapshot."""
from app.cases.demo import seed_demo_programme
from app.targets.demo import seed_demo_targets


def test_demo_board_shows_taipeis_rates_with_sources_from_the_snapshot(db, as_user, inline_jobs):
    seed_demo_programme()
    assert seed_demo_targets() > 0
    assert seed_demo_targets() >= 0  # again: the denominators are not entered twice
    body = as_user("tpe.admin").get("/targets").get_data(as_text=True)
    assert "戶政司出生登記（115年）" in body and "本市獨居老人名冊（115年6月）" in body
    assert "50.00%" in body and "66.67%" in body  # 育兒指導 3 of 6; 獨居老人 2 of 3
    assert "每夜計算之快照" in body
