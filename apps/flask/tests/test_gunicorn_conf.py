"""The gunicorn config module: every value from the settings, and its hooks."""

from __future__ import annotations

import importlib
import os
import signal
import sys
from pathlib import Path
from types import ModuleType

import pytest
from gunicorn.config import Config
from meatyapis_chassis import lifecycle
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from tests.support.gunicorn_stubs import Server, Worker

HOOKS = {
    "on_starting",
    "pre_request",
    "child_exit",
    "post_worker_init",
    "worker_int",
    "worker_abort",
    "worker_exit",
}


def load_conf() -> ModuleType:
    sys.modules.pop("meatyapis_flask.gunicorn_conf", None)
    return importlib.import_module("meatyapis_flask.gunicorn_conf")


@pytest.fixture(autouse=True)
def multiproc_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Set for every test: loading the config exports it, and monkeypatch takes it back."""
    directory = tmp_path / "prometheus"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    return directory


def test_values_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, multiproc_dir: Path
) -> None:
    monkeypatch.setenv("BIND_HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GRACEFUL_TIMEOUT", "7")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    conf = load_conf()
    assert conf.bind == ["127.0.0.1:9123"]
    assert conf.workers == 3
    assert conf.worker_class == "gthread"
    assert conf.worker_tmp_dir == "/dev/shm"
    assert conf.keepalive == 75
    assert conf.graceful_timeout == 7
    assert conf.max_requests == 10_000
    assert conf.max_requests_jitter == 5_000
    assert conf.forwarded_allow_ips == "10.0.0.0/8"
    assert conf.accesslog is None
    assert conf.control_socket_disable is True
    assert conf.wsgi_app == "meatyapis_flask.wsgi:app"


def test_ipv6_bind_host_is_bracketed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIND_HOST", "::")
    assert load_conf().bind == ["[::]:8080"]


def test_every_name_is_a_gunicorn_setting() -> None:
    conf = load_conf()
    config = Config()
    names = {
        name
        for name, value in vars(conf).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and not callable(value)  # the hooks, and the functions the module imports
    } - {"annotations"}
    unknown = names - set(config.settings)
    assert not unknown
    for name in names | HOOKS:
        config.set(name, getattr(conf, name))  # gunicorn's own validators accept each value
    assert config.worker_class_str == "gthread"
    assert config.control_socket_disable is True


def test_bad_environment_stops_with_the_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "lots")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        load_conf()


def test_on_starting_wipes_the_multiprocess_directory(multiproc_dir: Path) -> None:
    (multiproc_dir / "old").mkdir(parents=True)
    (multiproc_dir / "counter_1.db").write_bytes(b"x")
    (multiproc_dir / "old" / "nested.db").write_bytes(b"x")
    server = Server()
    load_conf().on_starting(server)
    assert multiproc_dir.is_dir()
    assert list(multiproc_dir.iterdir()) == []
    assert server.log.lines == [f"metrics: wiped multiprocess directory {multiproc_dir}"]


def test_on_starting_creates_a_missing_directory(multiproc_dir: Path) -> None:
    load_conf().on_starting(Server())
    assert multiproc_dir.is_dir()


def test_without_a_multiprocess_directory_the_workers_share_a_fresh_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    try:
        load_conf().on_starting(Server())
        directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        assert directory.is_dir()
        assert list(directory.iterdir()) == []
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR")  # monkeypatch only restores what it set
        directory.rmdir()


def test_child_exit_marks_the_worker_dead_and_archives_its_counts(multiproc_dir: Path) -> None:
    multiproc_dir.mkdir()
    live = multiproc_dir / "gauge_livesum_4242.db"
    other = multiproc_dir / "gauge_livesum_777.db"
    for path in (live, other):
        path.write_bytes(b"")
    counter = MmapedDict(str(multiproc_dir / "counter_4242.db"))
    counter.write_value(mmap_key("c", "c_total", [], [], "help"), 3.0, 0.0)
    counter.close()
    load_conf().child_exit(Server(), Worker(4242))
    assert not live.exists()
    assert other.exists()
    assert not (multiproc_dir / "counter_4242.db").exists()
    archived = MmapedDict.read_all_values_from_file(str(multiproc_dir / "counter_archive.db"))
    assert [(key, value) for key, value, _, _ in archived] == [
        (mmap_key("c", "c_total", [], [], "help"), 3.0)
    ]


class Request:
    def __init__(self, content_length: str) -> None:
        self.headers = [("HOST", "x"), ("CONTENT-LENGTH", content_length)]
        self.closed = False

    def force_close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("content_length", "closed"), [("10", False), ("1048576", False), ("1048577", True)]
)
def test_oversize_requests_close_the_connection(content_length: str, closed: bool) -> None:
    request = Request(content_length)
    load_conf().pre_request(Worker(), request)
    assert request.closed is closed


def test_sigterm_in_a_worker_flips_readiness_then_drains(fresh_lifecycle: None) -> None:
    conf = load_conf()
    previous = signal.getsignal(signal.SIGTERM)
    worker = Worker()
    try:
        conf.post_worker_init(worker)
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        assert not lifecycle.shutting_down()
        handler(signal.SIGTERM, None)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert lifecycle.shutting_down()
    assert worker.exits == [signal.SIGTERM]
    assert worker.log.lines == [
        "worker 4242: app loaded, serving",
        "worker 4242: draining, readiness is now 503",
    ]


@pytest.mark.parametrize("hook", ["worker_int", "worker_abort"])
def test_quick_exits_flip_readiness(fresh_lifecycle: None, hook: str) -> None:
    getattr(load_conf(), hook)(Worker())
    assert lifecycle.shutting_down()


def test_worker_exit_flips_readiness(fresh_lifecycle: None) -> None:
    load_conf().worker_exit(Server(), Worker())
    assert lifecycle.shutting_down()
