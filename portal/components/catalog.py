"""The language catalog in the browser, once, instead of in every session's state.

Pages read their words as ``T["key"]``. ``T`` used to be a computed var of the session
state: a 17 KB copy of one language's catalog kept in every session (Redis included) and
sent again in full on every language switch. Now both languages are one static ES module,
``catalog.js``, written from ``portal.i18n.catalog`` into ``assets/external/`` (ignored
by git: it is generated) when the app is imported, i.e. before every front-end build.
The build bundles it with a content hash, so the browser caches it like any other
script. ``T`` is a var that indexes that module by the session's ``locale``: switching
language changes one short string in the state; the page re-renders from the module.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import reflex as rx
from reflex.vars.base import Var, VarData
from reflex.utils.imports import ImportVar

from portal.i18n.catalog import CATALOG, DEFAULT_LOCALE
from portal.state.session import SessionState

ROOT = Path(__file__).resolve().parents[2]
MODULE_PATH = Path("external") / "portal_i18n" / "catalog.js"  # under assets/
MODULE_NAME = "PORTAL_CATALOG"


def module_source() -> str:
    body = json.dumps(CATALOG, ensure_ascii=False, sort_keys=True, indent=0)
    return f"// Generated from portal/i18n/catalog.py by portal/components/catalog.py. Do not edit.\nexport const {MODULE_NAME} = {body};\n"


def write_module(assets: Path = ROOT / "assets") -> Path:
    """Writes catalog.js when it is missing or out of date; returns its path."""
    target = assets / MODULE_PATH
    source = module_source()
    try:
        if target.read_text(encoding="utf-8") == source:
            return target
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")  # several workers may write at once
    temporary.write_text(source, encoding="utf-8")
    temporary.replace(target)  # a build reading it sees the old or the new file, whole
    return target


write_module()

_LOCALE = SessionState.locale
T = Var(
    _js_expr=f"({MODULE_NAME}[{_LOCALE}] ?? {MODULE_NAME}.{DEFAULT_LOCALE})",
    _var_type=dict[str, str],
    _var_data=VarData.merge(
        _LOCALE._get_all_var_data(),
        VarData(imports={f"$/public/{MODULE_PATH.as_posix()}": [ImportVar(tag=MODULE_NAME)]}),
    ),
).to(dict[str, str])
