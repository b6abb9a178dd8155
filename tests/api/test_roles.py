"""Admin roles, route by route (API.md, "Compliance and operations"): one table,
chalicelib.access.ROUTES, says which roles each /admin route admits; every admin route has a row,
and each role gets through (2xx, or a 4xx other than 403) exactly where its row says."""

from __future__ import annotations

import pytest

from chalicelib import access, web
from chalicelib.web import OPERATOR, PATH_PARAM
from tests.helpers import template_body

ROLES = access.ROLES
NO_SUCH_ID = "01J00000000000000000000000"  # well formed, names nothing: an admitted call is 404, not 403


def _admin_routes() -> list[tuple[str, str]]:
    import app  # noqa: F401 - registers every endpoint

    return sorted({(method, e.path) for e in web.ENDPOINTS if e.path.startswith("/admin") for method in e.methods})


def test_every_admin_route_has_a_row_and_every_row_a_route():
    routes = set(_admin_routes())
    assert routes, "no admin route registered"
    assert routes - set(access.ROUTES) == set(), "an /admin route without a row in chalicelib.access.ROUTES"
    assert set(access.ROUTES) - routes == set(), "a row in chalicelib.access.ROUTES for no route"


def test_every_admin_route_asks_for_an_admin_role():
    import app  # noqa: F401

    assert [e.path for e in web.ENDPOINTS if e.path.startswith("/admin") and e.auth != OPERATOR] == []


def test_the_operator_is_admitted_everywhere_and_the_auditor_changes_nothing():
    for (method, path), roles in access.ROUTES.items():
        assert "operator" in roles, (method, path)
        assert ("auditor" in roles) != access.changes(method, path), (method, path)
        assert roles <= set(ROLES), (method, path)


@pytest.mark.parametrize("method, path", _admin_routes())
@pytest.mark.parametrize("role", [*ROLES, None])
def test_each_role_gets_exactly_the_routes_its_row_names(api, method, path, role):
    concrete = PATH_PARAM.sub(NO_SUCH_ID, path)
    body = b"{}" if method != "GET" else b""
    status, answer = api.call(method, concrete, user=f"staff-{role}", roles=(role,) if role else (), raw=body)
    if role in access.admitted(method, path):
        assert status != 403 and status < 500, (status, answer)
    else:
        assert (status, answer["error"]["code"]) == (403, "FORBIDDEN"), answer
        for admitted in access.admitted(method, path):
            assert admitted in answer["error"]["message"]


def test_marketing_cannot_approve_a_withdrawal_and_finance_cannot_create_a_template(api):
    status, body = api.post(f"/admin/withdrawals/{NO_SUCH_ID}/approve", user="mia", roles=("marketing",))
    assert (status, body["error"]["message"]) == (403, "This needs one of the roles: operator, finance.")
    status, body = api.post("/admin/templates", template_body(), user="fay", roles=("finance",))
    assert (status, body["error"]["message"]) == (403, "This needs one of the roles: operator, marketing.")


def test_marketing_creates_a_template_and_the_auditor_reads_it_but_cannot_publish_it(api):
    status, created = api.post("/admin/templates", template_body(), user="mia", roles=("marketing",))
    assert status == 201, created
    assert api.get(f"/admin/templates/{created['id']}", user="ada", roles=("auditor",))[0] == 200
    assert api.post(f"/admin/templates/{created['id']}/publish", user="ada", roles=("auditor",))[0] == 403
    assert api.get(f"/admin/templates/{created['id']}")[0] == 403  # a shopper


def test_a_token_with_several_roles_has_their_union(api):
    both = ("marketing", "finance")
    assert api.post("/admin/templates", template_body(), user="max", roles=both)[0] == 201
    assert api.post(f"/admin/withdrawals/{NO_SUCH_ID}/approve", user="max", roles=both)[0] == 404
    assert api.call("PUT", "/admin/settings", {"points_per_yuan": 50}, user="max", roles=both)[0] == 403


def test_an_unknown_role_admits_nothing(api):
    status, body = api.get("/admin/settings", user="eve", roles=("superuser",))
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")


def test_every_admin_role_reads_the_settings_and_only_the_operator_changes_them(api):
    for role in ROLES:
        assert api.get("/admin/settings", user=f"s-{role}", roles=(role,))[0] == 200
        status, _ = api.call("PUT", "/admin/settings", {"withdrawal_min": 100}, user=f"s-{role}", roles=(role,))
        assert status == (200 if role == "operator" else 403)


def test_the_openapi_document_names_the_roles_of_each_admin_operation(api):
    _, document = api.get("/openapi.json", user=None)
    assert document["paths"]["/admin/settings"]["put"]["x-roles"] == ["operator"]
    assert document["paths"]["/admin/withdrawals"]["get"]["x-roles"] == ["operator", "finance", "auditor"]
    assert "x-roles" not in document["paths"]["/me/account"]["get"]
