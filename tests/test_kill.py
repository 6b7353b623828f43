"""A build killed at any moment, and two builds at once, never leave a partial output.

A tree of ``REPORTS`` reports is built twice for reference, once as it was ("old") and
once after every report changed ("new"), giving known-good bytes for every output.
Then, ``KILLS`` times, the old outputs are put in place, a child ``python -m generator
build -j 2`` of the new tree starts, and its whole process group gets SIGKILL after a
random delay (seeded, spread over the length of a full build).  Afterwards every
output must be byte for byte the old file or the new one, and the manifest must parse;
the next build must complete, produce exactly the new bytes and leave no
``.nianbao-tmp-*`` file behind (a killed build's temporary files are swept).

Two builds of the same tree with ``--force`` started together must both succeed and
leave exactly the known-good bytes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.output import TEMP_PREFIX
from generator.stamps import MANIFEST

from .conftest import EXAMPLES, ROOT

REPORTS = 8
KILLS = 12
SEED = 20240601
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1700000000"}


def make_tree(folder: Path, version: str) -> Path:
    """The examples plus copies under other agencies; ``version`` changes every report."""
    src = folder / "reports"
    shutil.copytree(EXAMPLES, src)
    seed = (EXAMPLES / "qinghe-zfb" / "2022.yaml").read_text(encoding="utf-8")
    for i in range(REPORTS - len(list(EXAMPLES.rglob("*.yaml")))):
        path = src / f"copy-{i}" / "2022.yaml"
        path.parent.mkdir()
        path.write_text(seed.replace("清河县人民政府办公室", f"清河县第{i}办公室"), "utf-8")
    for path in src.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\nagency: ", f"\nagency: {version}"), "utf-8")
    return src


def build(src: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build", "-q", "-j", "2", "-o", str(out), *extra,
         str(src)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, start_new_session=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode("utf-8", "replace")


def outputs(out: Path) -> dict[str, bytes]:
    """Every output by path relative to ``out``, without nianbao's own bookkeeping files."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".nianbao-")
    }


def temps(out: Path) -> list[Path]:
    return sorted(out.rglob(f"{TEMP_PREFIX}*"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Sources of both versions and known-good outputs, each built once, untouched."""
    work = tmp_path_factory.mktemp("kill")
    old_src, new_src = make_tree(work / "old", "旧"), make_tree(work / "new", "新")
    start = time.perf_counter()
    procs = [build(old_src, work / "old-out"), build(new_src, work / "new-out")]
    for proc in procs:
        finish(proc)
    seconds = time.perf_counter() - start
    old, new = outputs(work / "old-out"), outputs(work / "new-out")
    assert old.keys() == new.keys() and len(old) == 3 * REPORTS
    assert all(old[k] != new[k] for k in old), "every output must change between versions"
    return {"work": work, "new_src": new_src, "old": old, "new": new, "seconds": seconds}


def test_a_killed_build_leaves_old_or_new_files_never_partial(
    reference: dict[str, object],
) -> None:
    """SIGKILL at random moments: every output is complete (old or new bytes), the manifest
    is valid JSON, and the next build completes with the new bytes and no temp files."""
    work, new_src = Path(str(reference["work"])), Path(str(reference["new_src"]))
    old, new = reference["old"], reference["new"]
    assert isinstance(old, dict) and isinstance(new, dict)
    rnd = random.Random(SEED)
    span = float(str(reference["seconds"]))
    seen = {"old": 0, "new": 0, "temps": 0}
    for i in range(KILLS):
        out = work / f"killed-{i}"
        shutil.copytree(work / "old-out", out)
        proc = build(new_src, out)
        time.sleep(rnd.uniform(0.1, span))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        now = outputs(out)
        assert now.keys() == old.keys(), f"kill {i}: outputs missing or extra"
        for name, data in now.items():
            assert data in (old[name], new[name]), f"kill {i}: {name} is neither old nor new"
            seen["old" if data == old[name] else "new"] += 1
        json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        seen["temps"] += len(temps(out))
        finish(build(new_src, out))
        assert outputs(out) == new, f"kill {i}: the rebuild did not restore the new bytes"
        assert temps(out) == [], f"kill {i}: temporary files left after the next build"
        shutil.rmtree(out)
    print(f"{KILLS} kills: {seen['old']} old and {seen['new']} new outputs found, "
          f"{seen['temps']} leftover temp files swept")  # fmt: skip
    assert seen["old"] + seen["new"] == KILLS * len(old)


def test_two_builds_at_once_do_not_corrupt_each_other(reference: dict[str, object]) -> None:
    """Two ``build --force`` of the same tree into the same folder, side by side, twice:
    both succeed; every output is the known-good new file; the manifest lists them all."""
    work, new_src, new = (
        Path(str(reference["work"])),
        Path(str(reference["new_src"])),
        reference["new"],
    )
    assert isinstance(new, dict)
    for round_ in range(2):
        out = work / f"together-{round_}"
        shutil.copytree(work / "old-out", out)
        procs = [build(new_src, out, "--force") for _ in range(2)]
        for proc in procs:
            finish(proc)
        assert outputs(out) == new
        assert temps(out) == []
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        assert set(manifest["outputs"]) == set(new)


def test_only_a_dead_writers_temporary_files_are_swept(tmp_path: Path) -> None:
    """The sweep removes what a killed process left and keeps what a running one writes."""
    from generator.output import remove_stale_temps

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{TEMP_PREFIX}{dead.pid}-abc.docx"
    legacy = tmp_path / f"{TEMP_PREFIX}k2j3l4.html"
    live = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-xyz.md"
    other = tmp_path / "2022.docx"
    for p in (stale, legacy, live, other):
        p.write_bytes(b"x")
    assert sorted(remove_stale_temps([tmp_path, tmp_path / "missing"])) == sorted([legacy, stale])
    assert live.exists() and other.exists()
