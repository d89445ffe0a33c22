"""Set what an environment runs: its pins, and nothing else.

The pins of deploy/environments/<env>/ are the chart versions in release.yaml (`data.<chart>`)
and the image digests in meatyapis.yaml (`<service>.image.digest`). The release workflow sets
staging's to what it just released; promoting copies one environment's pins to another. Only
those lines change: comments, order and every other value stay as they are (checked before
writing).

    python -m scripts.gitops.promote staging --chart meatyapis=0.3.0 --image flask=sha256:…
    python -m scripts.gitops.promote production --from staging
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scripts.gitops.environments import CHARTS, ROOT

IMAGES = ("flask", "fastapi")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
VERSION = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
)
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?P<rest>.*)$")


class PromotionError(ValueError):
    """Bad input or an environment file the pins cannot be found in (message names which)."""


@dataclass(frozen=True)
class Pin:
    """One pinned value: a key path in one file of the environment."""

    file: str
    path: tuple[str, ...]

    def label(self) -> str:
        return f"{self.file}:{'.'.join(self.path)}"


def pins() -> dict[str, Pin]:
    """Every pin by name: the charts, then the images."""
    found = {chart: Pin("release.yaml", ("data", chart)) for chart in CHARTS}
    found.update({image: Pin("meatyapis.yaml", (image, "image", "digest")) for image in IMAGES})
    return found


def validate(name: str, value: str) -> None:
    if name in CHARTS and not VERSION.match(value):
        raise PromotionError(f"--chart {name}={value!r}: not a SemVer chart version")
    if name in IMAGES and not DIGEST.match(value):
        raise PromotionError(f"--image {name}={value!r}: not an image digest sha256:<64 hex>")


def line_of(text: str, path: tuple[str, ...], label: str) -> int:
    """Index of the line holding the scalar at `path` in block-style YAML."""
    stack: list[tuple[int, str]] = []
    for index, line in enumerate(text.splitlines()):
        match = _KEY.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        if tuple(key for _, key in stack) == path:
            return index
    raise PromotionError(f"{label}: not found (the pins are edited in place, never added)")


def get(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def with_value(text: str, pin: Pin, value: str, label: str) -> str:
    """`text` with the pin's line set to `value`; everything else byte for byte the same."""
    lines = text.splitlines(keepends=True)
    index = line_of(text, pin.path, label)
    match = _KEY.match(lines[index].rstrip("\n"))
    assert match
    comment = re.search(r"\s+#.*$", match["rest"])
    lines[index] = f"{match['indent']}{match['key']}: {json.dumps(value)}"
    lines[index] += (comment.group(0) if comment else "") + "\n"
    changed = "".join(lines)
    before, after = yaml.safe_load(text), yaml.safe_load(changed)
    expected = copy.deepcopy(before)
    parent = get(expected, pin.path[:-1])
    parent[pin.path[-1]] = value
    if after != expected:
        raise PromotionError(f"{label}: editing the line would change more than the pin")
    return changed


def current(environment_dir: Path) -> dict[str, str]:
    """The environment's pins, by name."""
    values = {}
    for name, pin in pins().items():
        path = environment_dir / pin.file
        label = f"{path}:{'.'.join(pin.path)}"
        try:
            values[name] = str(get(yaml.safe_load(path.read_text(encoding="utf-8")), pin.path))
        except (OSError, KeyError, TypeError) as error:
            raise PromotionError(f"{label}: cannot be read ({error})") from error
    return values


def promote(environment_dir: Path, wanted: dict[str, str]) -> list[str]:
    """Write the wanted pins into the environment; returns one line per pin that changed."""
    if not environment_dir.is_dir():
        raise PromotionError(f"environment {environment_dir.name!r}: no {environment_dir}")
    known = pins()
    for name, value in wanted.items():
        if name not in known:
            raise PromotionError(f"{name!r}: no such pin (charts: {', '.join(CHARTS)};"
                                 f" images: {', '.join(IMAGES)})")  # fmt: skip
        validate(name, value)
    before = current(environment_dir)
    texts: dict[str, str] = {}
    changes = []
    for name, value in wanted.items():
        if before[name] == value:
            continue
        pin = known[name]
        path = environment_dir / pin.file
        text = texts.get(pin.file) or path.read_text(encoding="utf-8")
        texts[pin.file] = with_value(text, pin, value, f"{path}:{'.'.join(pin.path)}")
        changes.append(f"{name}: {before[name] or '(unpinned)'} -> {value}")
    for file, text in texts.items():
        (environment_dir / file).write_text(text, encoding="utf-8")
    return changes


def pairs(items: list[str], option: str) -> dict[str, str]:
    found = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise PromotionError(f"{option} {item!r}: expected NAME=VALUE")
        found[name] = value
    return found


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("environment", help="the environment to change, e.g. staging")
    parser.add_argument("--from", dest="source", help="copy every pin of this environment")
    parser.add_argument("--chart", action="append", default=[], help="CHART=VERSION")
    parser.add_argument("--image", action="append", default=[], help="IMAGE=DIGEST")
    parser.add_argument("--root", type=Path, default=root, help="the checkout to change")
    args = parser.parse_args(argv)
    environments = args.root / "deploy" / "environments"
    try:
        wanted = {**pairs(args.chart, "--chart"), **pairs(args.image, "--image")}
        if args.source:
            if wanted:
                raise PromotionError("--from copies every pin: give no --chart or --image")
            if args.source == args.environment:
                raise PromotionError(f"--from {args.source}: that is the environment itself")
            wanted = {k: v for k, v in current(environments / args.source).items() if v}
        if not wanted:
            raise PromotionError("nothing to set: give --from ENV, --chart or --image")
        changes = promote(environments / args.environment, wanted)
    except PromotionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    origin = f" from {args.source}" if args.source else ""
    print(f"{args.environment}{origin}:", *(changes or ["already pinned, nothing changed"]),
          sep="\n  ")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
