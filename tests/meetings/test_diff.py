"""The red marking's alignment is difflib's, found faster: the same matching blocks as
``SequenceMatcher(autojunk=False)`` and the same segments as marking with difflib itself."""
import random
from difflib import SequenceMatcher

from app.meetings import diff

PIECES = ["本案", "刻正", "辦理", "已於", "108年", "6月", "30日", "完成", "。", "，", "社家署", "\n", " ", "12", "ab", "１２",
          "預定", "下月底", "函請", "各地方政府"]


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(n))


def _edited(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(0, 6)):
        at = rng.randint(0, len(chars))
        if rng.random() < .5:
            chars[at:at] = _text(rng, rng.randint(1, 3))
        else:
            del chars[at:at + rng.randint(1, 5)]
    return "".join(chars)


def _marked_with_difflib(previous: str, current: str) -> list[tuple[str, bool]]:
    """The marking as it was computed before (difflib's opcodes), to compare with."""
    before, after = diff.tokens(previous), diff.tokens(current)
    if not after:
        return []
    matcher = SequenceMatcher(a=before, b=after, autojunk=False)
    if not before or matcher.ratio() < diff.REWRITE_BELOW:
        return [(current, True)]
    runs = [(after[j1:j2], op != "equal") for op, _, _, j1, j2 in matcher.get_opcodes() if j2 > j1]
    for k, (toks, changed) in enumerate(runs):
        between = 0 < k < len(runs) - 1 and runs[k - 1][1] and runs[k + 1][1]
        if not changed and between and len([t for t in toks if not t.isspace()]) < diff.MIN_KEPT_TOKENS:
            runs[k] = (toks, True)
    out = []
    for toks, changed in runs:
        if out and out[-1][1] == changed:
            out[-1] = (out[-1][0] + "".join(toks), changed)
        else:
            out.append(("".join(toks), changed))
    return out


def test_matching_blocks_are_difflibs():
    rng = random.Random(5)
    for _ in range(400):
        a = diff.tokens(_text(rng, rng.randint(0, 60)))
        b = diff.tokens(_text(rng, rng.randint(0, 60)) if rng.random() < .3 else _edited(rng, "".join(a)))
        ea, eb = diff._encode(a, b)
        expected = [tuple(m) for m in SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()]
        assert diff.matching_blocks(ea, eb) == expected


def test_marking_is_the_same_as_with_difflib():
    rng = random.Random(11)
    for _ in range(400):
        previous = _text(rng, rng.randint(0, 80))
        current = _edited(rng, previous) if rng.random() < .8 else _text(rng, rng.randint(0, 80))
        assert diff.marked(previous, current) == _marked_with_difflib(previous, current)


def test_cached_results_are_not_shared_lists():
    first = diff.marked("預計108年6月底完成。", "已於108年6月20日完成。")
    first.append(("x", True))
    assert diff.marked("預計108年6月底完成。", "已於108年6月20日完成。")[-1] != ("x", True)


def test_html_marking_is_escaped_and_follows_the_segments():
    html = diff.marked_html("預計108年6月底完成。", '已於108年6月20日完成<b>"。')
    assert str(html) == ('<span class="changed">已於</span>108年6月<span class="changed">20日完成&lt;b&gt;&#34;</span>。')
    assert str(diff.marked_html("", "")) == ""
