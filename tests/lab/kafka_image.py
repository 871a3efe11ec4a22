"""The broker image for role tests: a local stand-in for the official ``apache/kafka`` image.

No container registry is reachable from the lab machines, so ``apache/kafka:4.1.1`` cannot be
pulled. This builds ``transactions-st/kafka-lab:4.1.1`` instead, from

- the real Kafka 4.1.1 jars the lab already caches (``$TST_CACHE/kafka-4.1.1/libs``, filled by
  ``python -m tests.lab fetch`` or here on first use),
- Debian's JRE (``openjdk-21-jre-headless``), installed from the Debian archive during
  ``docker build`` on top of the lab's systemd test image,
- the build context in ``tests/lab/images/kafka/``: ``/opt/kafka/bin`` scripts and a launcher
  (``/etc/kafka/docker/run``) that follow apache/kafka's ``KAFKA_*`` env contract.

The image is saved with ``docker save`` to ``$TST_CACHE/images/kafka-lab-<version>-<recipe>.tar``
(``.complete`` marker written last), so a wiped engine, or a Docker engine inside a Molecule
instance (``docker load``), gets it without the archive. The recipe id hashes the build context
and the jar list: change either and the image is rebuilt.

CLI: ``python -m tests.lab.kafka_image [--json]`` builds what is missing and prints the tag
(or ``{"image": ..., "tarball": ...}``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import docker_engine
from .core import LabError, Log, stderr_log
from .services.kafka import KAFKA_VERSION, fetch_libs

IMAGE_REPO = "transactions-st/kafka-lab"
IMAGE_TAG = f"{IMAGE_REPO}:{KAFKA_VERSION}"
CONTEXT_DIR = Path(__file__).resolve().parent / "images" / "kafka"
JRE_PACKAGE = "openjdk-21-jre-headless"
_RECIPE_LABEL = "transactions-st.kafka-recipe"


def recipe_id(libs: Path) -> str:
    """A short hash of everything that goes into the image."""
    digest = hashlib.sha256()
    digest.update(f"{KAFKA_VERSION}\0{JRE_PACKAGE}\0{docker_engine.IMAGE_TAG}\0".encode())
    # Documentation does not go into the image.
    for path in sorted(p for p in CONTEXT_DIR.rglob("*") if p.is_file() and p.suffix != ".md"):
        digest.update(str(path.relative_to(CONTEXT_DIR)).encode() + b"\0")
        digest.update(f"{os.stat(path).st_mode & 0o111}\0".encode())
        digest.update(path.read_bytes() + b"\0")
    for jar in sorted(libs.glob("*.jar")):
        digest.update(f"{jar.name}\0{jar.stat().st_size}\0".encode())
    return digest.hexdigest()[:12]


def tarball_path(cache_dir: Path, recipe: str) -> Path:
    return cache_dir / "images" / f"kafka-lab-{KAFKA_VERSION}-{recipe}.tar"


def _image_recipe(tag: str) -> str | None:
    try:
        out = docker_engine._docker(
            ["image", "inspect", "--format", f'{{{{ index .Config.Labels "{_RECIPE_LABEL}" }}}}', tag], timeout=30
        )
    except docker_engine.DockerLabError:
        return None
    return out.strip() or None


def _save(tag: str, final: Path, log: Log) -> None:
    marker = final.with_name(final.name + ".complete")
    part = final.with_name(f".{final.name}.part")
    log(f"docker save {tag} -> {final}")
    part.unlink(missing_ok=True)
    docker_engine._docker(["save", "--output", str(part), tag], timeout=900)
    os.chmod(part, 0o644)  # `docker save --output` creates it 0600
    os.replace(part, final)
    marker.write_text(f"{tag}\n")  # written last: its presence means `final` is whole


def _build(tag: str, recipe: str, libs: Path, cache_dir: Path, log: Log) -> None:
    base = docker_engine.ensure_image(cache_dir / "images", log)
    with tempfile.TemporaryDirectory(prefix="kafka-lab-image-") as tmp:
        context = Path(tmp) / "context"
        shutil.copytree(CONTEXT_DIR, context)
        shutil.copytree(libs, context / "libs", ignore=shutil.ignore_patterns(".*"))
        log(f"building {tag} (JRE from the Debian archive, about a minute)")
        docker_engine._docker(
            [
                "build",
                "--tag", tag,
                "--label", f"{_RECIPE_LABEL}={recipe}",
                "--build-arg", f"BASE_IMAGE={base}",
                "--build-arg", f"KAFKA_VERSION={KAFKA_VERSION}",
                "--build-arg", f"JRE_PACKAGE={JRE_PACKAGE}",
                str(context),
            ],
            timeout=1800,
        )


def ensure_kafka_image(cache_dir: Path, log: Log) -> str:
    """Return the tag of the local Kafka broker image; build (or load) it and its tarball first if needed.

    ``cache_dir`` is the lab cache root (``$TST_CACHE``): the jars are read from
    ``cache_dir/kafka-<version>/libs`` and the ``docker save`` tarball is kept in ``cache_dir/images``.
    """
    if not docker_engine.engine_healthy():
        raise docker_engine.DockerLabError("the Docker engine is not running: start the lab's docker service")
    libs = fetch_libs(cache_dir, log)
    recipe = recipe_id(libs)
    final = tarball_path(cache_dir, recipe)
    marker = final.with_name(final.name + ".complete")
    final.parent.mkdir(parents=True, exist_ok=True)
    with docker_engine._locked(final.parent / "kafka-lab.lock"):
        have_tarball = final.is_file() and marker.is_file()
        if _image_recipe(IMAGE_TAG) != recipe:
            if have_tarball:
                log(f"loading {final}")
                docker_engine._docker(["load", "--input", str(final)], timeout=900)
            if _image_recipe(IMAGE_TAG) != recipe:
                _build(IMAGE_TAG, recipe, libs, cache_dir, log)
                have_tarball = False
        if not have_tarball:
            for stale in final.parent.glob(f"kafka-lab-{KAFKA_VERSION}-*.tar*"):
                stale.unlink()
            _save(IMAGE_TAG, final, log)
    log(f"image {IMAGE_TAG} ready (recipe {recipe}), tarball {final}")
    return IMAGE_TAG


def ensure_kafka_tarball(cache_dir: Path, log: Log) -> Path:
    """The ``docker save`` tarball of the image (built first if needed), for ``docker load`` elsewhere."""
    ensure_kafka_image(cache_dir, log)
    return tarball_path(cache_dir, recipe_id(fetch_libs(cache_dir, log)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab.kafka_image", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help='print {"image": TAG, "tarball": PATH}')
    args = parser.parse_args(argv)
    cache_dir = Path(os.environ.get("TST_CACHE") or Path.home() / ".cache" / "transactions_st").absolute()
    try:
        tarball = ensure_kafka_tarball(cache_dir, stderr_log)
    except (LabError, docker_engine.DockerLabError) as exc:
        print(f"kafka_image: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"image": IMAGE_TAG, "tarball": str(tarball)}) if args.json else IMAGE_TAG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
