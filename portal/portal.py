"""The Reflex app: pages and their load events. Everything else lives in the layers below."""

import reflex as rx

from portal.i18n.catalog import EN, ZH
from portal.pages.action import action_page
from portal.pages.category import category_page
from portal.pages.clients import clients_page
from portal.pages.contact import contact_page
from portal.pages.dashboard import dashboard_page
from portal.pages.guides import guide_page, guides_page
from portal.pages.login import login_page
from portal.pages.policies import policies_page
from portal.pages.policy import policy_page
from portal.pages.requests import requests_page
from portal.state.actions import ActionState, RequestsState
from portal.state.contact import ContactState
from portal.state.guides import GuideState
from portal.state.login import LoginState
from portal.state.failures import on_backend_error
from portal.state.session import TabGuard
from portal.state.portfolio import (
    CategoryState,
    ClientListState,
    DashboardState,
    PolicyListState,
    PolicyState,
)
from portal.web.edge import PortalEdge


def page_title(key: str) -> str:
    """Titles are static per route, so they carry both languages."""
    return f"{ZH[key]} · {EN[key]} | {ZH['app.name']}"


app = rx.App(
    html_lang="zh-CN",
    stylesheets=["/portal.css"],
    # Security headers, origin checks, the session-cookie endpoints and the page guard.
    api_transformer=PortalEdge,
    # An unexpected failure: an apology with an error id, logged; the page recovers.
    backend_exception_handler=on_backend_error,
)
# Before every event: a tab whose login session changed or ended is reset first.
app.add_middleware(TabGuard())
app.add_page(login_page, route="/login", title=page_title("login.title"), on_load=LoginState.on_load)
app.add_page(login_page, route="/", title=page_title("login.title"), on_load=LoginState.on_load)
app.add_page(dashboard_page, route="/dashboard", title=page_title("nav.dashboard"), on_load=DashboardState.load)
app.add_page(category_page, route="/category/[category]", title=page_title("dashboard.categories"), on_load=CategoryState.load)
app.add_page(policies_page, route="/policies", title=page_title("nav.policies"), on_load=PolicyListState.load)
app.add_page(policy_page, route="/policy/[policy_no]", title=page_title("policy.title"), on_load=PolicyState.load)
app.add_page(clients_page, route="/clients", title=page_title("manager.title"), on_load=ClientListState.load)
app.add_page(action_page, route="/act/[action]", title=page_title("action.available"), on_load=ActionState.load)
app.add_page(contact_page, route="/contact", title=page_title("contact.title"), on_load=ContactState.load)
app.add_page(requests_page, route="/requests", title=page_title("requests.title"), on_load=RequestsState.load)
# The picture guides (看图解): no login needed, they hold no customer data.
app.add_page(guides_page, route="/guides", title=page_title("guides.title"), on_load=GuideState.load_list)
app.add_page(guide_page, route="/guides/[guide]", title=page_title("guides.title"), on_load=GuideState.load)
