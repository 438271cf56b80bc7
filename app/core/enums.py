"""Enumerations with Chinese titles, stored as their codes with a CHECK constraint."""
from __future__ import annotations

import enum

import sqlalchemy as sa


class LabeledEnum(str, enum.Enum):
    """An enum whose value is a stable code and whose ``label`` is the Chinese title.

    Members are declared as ``NAME = ("code", "中文")``.
    """

    def __new__(cls, code: str, label: str):
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label = label
        return obj

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value

    @classmethod
    def choices(cls, members=None) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in (members or cls)]


def enum_column_type(enum_cls: type[LabeledEnum], name: str) -> sa.Enum:
    """A VARCHAR column holding the enum's codes, with a named CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
