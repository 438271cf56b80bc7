"""The request edge: one commit for the work, a refusal rolls back and answers with the
domain error's status and Chinese message (the view's own page, or the app's error page)."""
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.core import edge
from app.core.errors import DomainError, Invalid, NotFound, Stale
from app.tenants.models import County


def _county(db):
    return db.session.scalars(sa.select(County).order_by(County.id)).first()


def test_act_commits_the_work_once_and_answers_the_view(db):
    county = _county(db)
    original = county.name

    def rename():
        county.name = original + "（試）"
        return "done"

    assert edge.act(rename, lambda exc: "refused") == "done"
    db.session.expire_all()
    assert _county(db).name == original + "（試）"


def test_a_refusal_rolls_back_and_comes_back_with_its_status(db):
    county = _county(db)
    original = county.name

    def rename():
        county.name = "不該留下"
        raise Invalid("名稱不可使用。", field="name")

    status, message, field = edge.act(rename, lambda exc: (exc.status, str(exc), exc.field))
    assert (status, message, field) == (422, "名稱不可使用。", "name")
    assert _county(db).name == original


def test_a_lost_race_is_stale_409_with_the_views_message(db):
    def race():
        raise StaleDataError("someone else")

    error = edge.act(race, lambda exc: exc, stale="剛被其他人更新。")
    assert isinstance(error, Stale) and error.status == 409 and str(error) == "剛被其他人更新。"


def test_beside_field_adds_the_message_to_the_named_field(app):
    from app.tenants.forms import CountyForm

    with app.test_request_context("/"):
        form = CountyForm(formdata=None)
        edge.beside_field(form, DomainError("已有同名的縣市。", field="name"))
        edge.beside_field(form, DomainError("沒有這個欄位。", field="nothing"))
        assert list(form.name.errors) == ["已有同名的縣市。"]


def test_an_uncaught_domain_error_is_the_error_page_with_its_status_and_message(app, db):
    county = _county(db)
    original = county.name
    with app.test_request_context("/cases/1"):
        county.name = "不該留下"
        response = app.make_response(app.handle_user_exception(NotFound("查無此個案。")))
        assert response.status_code == 404 and "查無此個案。" in response.get_data(as_text=True)
    assert _county(db).name == original
    with app.test_request_context("/api/v1/reports"):
        response = app.make_response(app.handle_user_exception(DomainError("通報已結案。")))
        assert response.status_code == 409 and response.get_json() == {"error": "conflict", "message": "通報已結案。"}
