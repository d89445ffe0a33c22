"""Stand-ins for the gunicorn arbiter and worker objects that config hooks receive."""

from __future__ import annotations

from types import FrameType


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args)


class Server:
    def __init__(self) -> None:
        self.log = Log()


class Worker:
    def __init__(self, pid: int = 4242) -> None:
        self.pid = pid
        self.log = Log()
        self.exits: list[int] = []

    def handle_exit(self, signum: int, frame: FrameType | None) -> None:
        self.exits.append(signum)
