"""Fixtures shared by the referral tests."""
import pytest


@pytest.fixture
def world(db, factories):
    """臺北市 and the demo people the referral tests act as: (user, membership) by role."""
    taipei = factories.county("臺北市")
    people = {}
    for key, username, unit in [("sw", "tpe.sw1", None), ("sup", "tpe.sup", None), ("dv", "tpe.dv1", None),
                                ("dvsup", "tpe.dvsup", None), ("wanhua", "tpe.sw2", "臺北市萬華社會福利服務中心"),
                                ("admin", "tpe.admin", None), ("dispatch", "tpe.dispatch", None), ("ngo", "ngo.staff", None),
                                ("hua", "hua.sw1", None)]:
        user = factories.user(username)
        people[key] = (user, next(m for m in user.memberships if unit is None or m.unit.name == unit))
    return {"taipei": taipei, "people": people, "factories": factories}
