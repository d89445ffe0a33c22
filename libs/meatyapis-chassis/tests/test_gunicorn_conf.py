"""The gunicorn configuration both services share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gunicorn.config import Config
from meatyapis_chassis.gunicorn_conf import bind, metrics_directory, server_config
from meatyapis_chassis.settings import ServiceSettings

from tests.support.gunicorn_stubs import Server, Worker


class Example(ServiceSettings):
    database_url: str = "sqlite:///example.db"


def test_bind_brackets_ipv6_hosts() -> None:
    assert bind("127.0.0.1", 8080) == ["127.0.0.1:8080"]
    assert bind("::", 8080) == ["[::]:8080"]


def test_without_a_directory_a_fresh_one_is_made_and_exported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    directory = metrics_directory(Example(), "example")
    try:
        assert directory.is_dir()
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(directory)
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR")
        directory.rmdir()


def test_every_value_is_a_gunicorn_setting_and_the_hooks_keep_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # set, so that monkeypatch takes it back
    config = server_config(Example(prometheus_multiproc_dir=tmp_path), "my_service.entry:app")
    assert config["proc_name"] == "my-service"
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    gunicorn = Config()
    for name, value in config.items():
        gunicorn.set(name, value)  # gunicorn's own validators accept each value
    assert gunicorn.control_socket_disable is True
    (tmp_path / "counter_1.db").write_bytes(b"stale")
    server = Server()
    config["on_starting"](server)
    assert list(tmp_path.iterdir()) == []
    assert server.log.lines == [f"metrics: wiped multiprocess directory {tmp_path}"]
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    config["child_exit"](server, Worker())
    assert not (tmp_path / "gauge_livesum_4242.db").exists()
