"""What the referral tests share that is not a fixture."""
from datetime import date

from app.intake import services as intake
from tests import factories


def new_case(world):
    """A family case of 中正社福中心 (a report of 中正區 dispatched by the world's dispatcher)."""
    centre = factories.unit("臺北市中正社會福利服務中心")
    return factories.FamilyCaseFactory(
        lead=centre, district=next(d for d in world["taipei"].districts if d.name == "中正區"),
        dispatcher=world["people"]["dispatch"][0],
        persons=[intake.PersonInput("王小明", "M", date(2016, 1, 1), relation="child")])
