"""The gunicorn worker class: uvicorn with uvloop and httptools (with bounded request heads and
lingering keep-alive connections on shutdown), readiness aware of SIGTERM."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any, ClassVar

from gunicorn.arbiter import Arbiter
from meatyapis_chassis.lifecycle import begin_shutdown
from meatyapis_chassis.logs import flush_batched
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker as BaseUvicornWorker

from meatyapis_fastapi.http_protocol import GuardedHttpToolsProtocol


class ShutdownAwareServer(Server):
    """Flips readiness to 503 the moment a stop signal arrives, then drains as uvicorn does."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        begin_shutdown()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Once drained, uvicorn raises the stop signal again and the worker ends by it, without
        the interpreter's exit: the log lines still waiting in the batched handler (the last
        requests' access lines, uvicorn's own shutdown lines) are written first."""
        with super().capture_signals():
            try:
                yield
            finally:
                flush_batched()


class UvicornWorker(BaseUvicornWorker):  # type: ignore[misc]
    # Proxy headers are the application's to read (meatyapis_fastapi.forwarded: only valid
    # addresses, only from FORWARDED_ALLOW_IPS); the access log is the application's own JSON
    # line, so uvicorn's is off.
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "uvloop",
        "http": GuardedHttpToolsProtocol,
        "proxy_headers": False,
        "access_log": False,
        "server_header": False,
    }

    async def _serve(self) -> None:
        self.config.app = self.wsgi
        server = ShutdownAwareServer(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
