"""``reflex run --env prod`` without compiling and building the front end again.

``reflex run --env prod`` always compiles the pages and rebuilds ``.web/build`` (it deletes
the old build first), which costs a minute or more on a two-core machine. The browser
tests' second server (scripts/test.sh: the scale-out pass) runs right after the first one
built the same sources for the same port, so this starts the same production back end
(granian, ``GRANIAN_WORKERS``, the compiled front end mounted on the same port) over that
build. Pinned to Reflex 0.10.1's ``reflex.reflex._run_prod``: its steps after the build.
tests/e2e/conftest.py uses it only when the build was made for this port.
"""

from __future__ import annotations

from reflex import constants
from reflex.config import get_config
from reflex.environment import environment
from reflex.reflex import _skip_compile
from reflex.utils import exec as reflex_exec


def main() -> None:
    config = get_config()
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    _skip_compile()
    port = config.frontend_port or config.backend_port
    reflex_exec.run_backend_prod(
        config.backend_host, port, config.loglevel.subprocess_level(), mount_frontend_compiled_app=True
    )


if __name__ == "__main__":
    main()
