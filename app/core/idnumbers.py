"""Taiwan national ID (身分證統一編號) and resident-permit (居留證) numbers.

Both carry a check digit over the letter's two-digit code and the eight or nine
digits that follow. Resident permits come in the new form (letter + 8 or 9 +
eight digits, since 2021) and the old form (two letters + eight digits).
"""
from __future__ import annotations

import re

LETTERS = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18, "K": 19,
    "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29,
    "W": 32, "X": 30, "Y": 31, "Z": 33,
}
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)

NATIONAL = re.compile(r"^[A-Z][12]\d{8}$")
RESIDENT_NEW = re.compile(r"^[A-Z][89]\d{8}$")
RESIDENT_OLD = re.compile(r"^[A-Z][A-D]\d{8}$")


def normalise(value: str) -> str:
    """Upper case, no spaces, full-width letters and digits made half-width."""
    value = (value or "").strip().upper()
    value = value.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})
    return re.sub(r"\s+", "", value)


def _checksum_ok(digits: list[int]) -> bool:
    return sum(d * w for d, w in zip(digits, WEIGHTS)) % 10 == 0


def _digits(value: str) -> list[int]:
    code = LETTERS[value[0]]
    return [code // 10, code % 10] + [int(c) for c in value[1:]]


def kind_of(value: str) -> str | None:
    """'national', 'resident' or None when the number is not valid."""
    value = normalise(value)
    if NATIONAL.match(value) and _checksum_ok(_digits(value)):
        return "national"
    if RESIDENT_NEW.match(value) and _checksum_ok(_digits(value)):
        return "resident"
    if RESIDENT_OLD.match(value):
        code = LETTERS[value[0]]
        second = LETTERS[value[1]] % 10
        digits = [code // 10, code % 10, second] + [int(c) for c in value[2:]]
        if _checksum_ok(digits):
            return "resident"
    return None


def is_valid(value: str) -> bool:
    return kind_of(value) is not None


def problem(value: str) -> str | None:
    """A Chinese message for an ID that cannot be accepted, or None."""
    value = normalise(value)
    if not value:
        return None
    if not re.match(r"^[A-Z][A-Z0-9]\d{8}$", value):
        return "證號格式不正確：應為 1 個英文字母加 9 碼（例如 A123456789）。若不確定，請留空，系統會記為「不詳」。"
    if kind_of(value) is None:
        return "證號檢查碼不正確，請再核對一次。若不確定，請留空，系統會記為「不詳」。"
    return None
