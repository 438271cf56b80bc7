"""The duplicate search's keys: Python's (kept on every write) and PostgreSQL's (the migration's
backfill of the rows already stored) must agree on any text, or a stored row would never match."""
import os

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.normalise import address_key_sql, normalise_address, normalise_phone, phone_key_sql
from tests.support import POSTGRES

# What addresses and phones are typed with: CJK, both widths of digits and signs, spaces of every kind.
TYPED = st.text(alphabet=st.sampled_from(list("臺台北市中正區路段巷弄號樓之-－,，。. 　\u00a0\t\n\r0123456789０１２３４５６７８９"
                                              "()（）#＃ABCａｂｃ'\"%_\\")), max_size=40)


def test_keys_of_the_usual_spellings():
    assert normalise_address("台北市中正區 重慶南路１段122號之2，3樓") == "臺北市中正區重慶南路1段122號23樓"
    assert normalise_phone("(02) 2345-6789 #12") == "022345678912"
    assert normalise_address(None) == normalise_phone(None) == ""


@pytest.mark.skipif(not POSTGRES, reason="the SQL keys are PostgreSQL's")
@settings(max_examples=300, deadline=None)
@given(text=TYPED)
def test_postgresql_makes_the_same_keys(text):
    engine = _engine()
    with engine.connect() as conn:
        address, phone = conn.execute(sa.text(f"SELECT {address_key_sql(':t')}, {phone_key_sql(':t')}"),
                                      {"t": text}).one()
    assert (address, phone) == (normalise_address(text), normalise_phone(text))


_ENGINES = {}


def _engine():
    url = os.environ["MIGRATIONS_DATABASE_URL"]
    if url not in _ENGINES:
        _ENGINES[url] = sa.create_engine(url, poolclass=sa.pool.StaticPool)
    return _ENGINES[url]
