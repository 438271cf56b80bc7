"""Keys that make two spellings of one phone number or address compare equal (and so can be
indexed): 02-2345-6789 and (02)23456789; 臺北市中正區羅斯福路一段１號之２ and 台北市中正區羅斯福路一段1號-2."""
from __future__ import annotations

import re

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # ！…～ → !…~
_ADDRESS_NOISE = re.compile(r"[\s,，。\.\-－]+")
_NOT_DIGIT = re.compile(r"[^0-9]")


def normalise_address(value: str | None) -> str:
    value = (value or "").translate(_FULLWIDTH)
    value = value.replace("台", "臺").replace("之", "-")
    return _ADDRESS_NOISE.sub("", value)


def normalise_phone(value: str | None) -> str:
    return _NOT_DIGIT.sub("", (value or "").translate(_FULLWIDTH))


def _fullwidth_sql(column: str) -> str:
    fullwidth = "".join(map(chr, _FULLWIDTH)).replace("'", "''")
    ascii_ = "".join(map(chr, _FULLWIDTH.values())).replace("'", "''")
    return f"translate({column}, '{fullwidth}', '{ascii_}')"


def address_key_sql(column: str) -> str:
    """normalise_address as a PostgreSQL expression (for rows already stored: the migration's backfill)."""
    return (f"regexp_replace(replace(replace({_fullwidth_sql(column)}, '台', '臺'), '之', '-'), "
            "E'[\\\\s\\u3000\\u00a0,，。.\\\\-－]+', '', 'g')")


def phone_key_sql(column: str) -> str:
    """normalise_phone as a PostgreSQL expression."""
    return f"regexp_replace({_fullwidth_sql(column)}, '[^0-9]', '', 'g')"
