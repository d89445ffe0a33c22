"""Builds the service images once per session (`make images`: layer-cached, fast when warm)."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.images.engine import APPS, ROOT, image, inspect_image

BUILD_TIMEOUT = 900


_failed: list[str] = []


@pytest.fixture(scope="session")
def built_images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if _failed:  # pytest would run a failed session fixture again for every test
        pytest.fail(_failed[0])
    log = tmp_path_factory.mktemp("images") / "make-images.log"
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(
            ["make", "--no-print-directory", "images"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        _failed.append(f"make images failed:\n{log.read_text()[-5000:]}")
        pytest.fail(_failed[0])
    print(f"\nmake images: {time.monotonic() - started:.0f} s")
    for app in APPS:
        size = inspect_image(image(app))["Size"]
        print(f"{image(app)}: {size / 1e6:.1f} MB")
    return {app: image(app) for app in APPS}
