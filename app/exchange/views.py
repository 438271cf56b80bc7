"""The county administrator's page of registered systems: register one (its token shown once), revoke
one, and read the log of their calls."""
from __future__ import annotations

from flask import Blueprint, abort, flash, url_for
from flask_login import current_user

from ..accounts.models import Role
from ..core import edge
from ..core.permissions import requires
from ..core.rendering import form_error, redirect_to, render
from ..extensions import db
from . import queries, services
from .forms import ClientForm
from .models import ExchangeClient, SystemKind

bp = Blueprint("exchange", __name__, url_prefix="/exchange")


def _page(form, **more):
    return dict(form=form, clients=queries.clients(), calls=queries.recent_calls(), **more)


@bp.route("/clients", methods=["GET", "POST"])
@requires(Role.COUNTY_ADMIN)
def clients():
    form = ClientForm()
    if form.validate_on_submit():
        client, token = services.issue_client(form.name.data.strip(), SystemKind(form.system_kind.data),
                                              list(form.scopes.data), current_user.id)
        name = client.name
        edge.commit()
        return render("exchange/clients.html", **_page(ClientForm(formdata=None), new_token=token, new_name=name))
    if form.is_submitted():
        return form_error("exchange/clients.html", **_page(form, new_token=None))
    return render("exchange/clients.html", **_page(form, new_token=None))


@bp.post("/clients/<int:client_id>/revoke")
@requires(Role.COUNTY_ADMIN)
def client_revoke(client_id: int):
    client = db.session.get(ExchangeClient, client_id)
    if client is None:
        abort(404)
    if services.revoke_client(client):
        edge.commit()
        flash(f"已撤銷 {client.name} 的金鑰；該系統的呼叫將回覆 401。", "success")
    return redirect_to(url_for("exchange.clients"))
