"""Builds the service images once per session (`make images`: layer-cached, fast when warm)."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.images.engine import APPS, ROOT, image, inspect_image

BUILD_TIMEOUT = 900


@pytest.fixture(scope="session")
def built_images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
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
    text = log.read_text()
    assert result.returncode == 0, f"make images failed:\n{text[-5000:]}"
    print(f"\nmake images: {time.monotonic() - started:.0f} s")
    for app in APPS:
        size = inspect_image(image(app))["Size"]
        print(f"{image(app)}: {size / 1e6:.1f} MB")
    return {app: image(app) for app in APPS}
