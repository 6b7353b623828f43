"""``nianbao clean`` deletes only files it can prove a build wrote, and never a source.

The manifest may come from a cloned repository, so every test here hands clean a
manifest or an output directory an attacker (or an unlucky user) could have made.
The last test runs two builds and a clean against each other and checks that the
manifest still tells the truth afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.output import TEMP_PREFIX
from generator.stamps import MANIFEST

from .conftest import EXAMPLES, run_cli, run_cli_both

ROOT = Path(__file__).resolve().parent.parent


def outputs(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".nianbao-")
    }


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tamper(outdir: Path, **entries: dict[str, object]) -> None:
    """Add entries to the manifest, as a committed (hostile) manifest could."""
    doc = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    doc["outputs"].update(entries)
    (outdir / MANIFEST).write_text(json.dumps(doc), encoding="utf-8")


def entry(data: bytes) -> dict[str, object]:
    return {"source": "x", "fingerprint": "x", "size": len(data), "sha256": sha(data)}


def snapshot(repo: Path) -> dict[str, bytes]:
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and not p.name.startswith(".nianbao-")
    }


def test_output_in_the_repository_root_is_refused(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``output = "."`` and a manifest listing README, the config and a report, with their
    true hashes: clean refuses the folder (exit 2) and every file stays."""
    (reports_repo / "nianbao.toml").write_text('output = "."\n', encoding="utf-8")
    (reports_repo / "README.md").write_text("# 我们的报告\n", encoding="utf-8")
    assert run_cli(capsys, "build", "-q", "-j", "1")[0] == 0
    victims = ["README.md", "nianbao.toml", "reports/qinghe-zfb/2022.yaml"]
    tamper(reports_repo, **{v: entry((reports_repo / v).read_bytes()) for v in victims})
    before = snapshot(reports_repo)
    code, err = run_cli(capsys, "clean")
    assert code == 2 and "不是专用的输出目录" in err, err
    assert snapshot(reports_repo) == before


@pytest.mark.parametrize("outdir", ["reports", ".", "reports/.."])
def test_the_source_tree_and_above_are_refused(
    reports_repo: Path, capsys: pytest.CaptureFixture[str], outdir: str
) -> None:
    before = snapshot(reports_repo)
    code, err = run_cli(capsys, "clean", "-o", outdir)
    assert code == 2 and "clean 不会在其中删除文件" in err, err
    assert snapshot(reports_repo) == before


def test_clean_of_the_filesystem_root_refuses_without_looking(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clean -o /`` walked the whole file system (deleting every .nianbao-tmp-* it met).
    Now it is refused before the lock, the manifest or any folder is touched."""
    import generator.clean as cleaning

    def touched(*args: object, **kwargs: object) -> None:
        raise AssertionError("clean -o / looked at the file system")

    monkeypatch.setattr(cleaning, "locked", touched)
    monkeypatch.setattr(cleaning.os, "walk", touched)
    monkeypatch.setattr(cleaning.Manifest, "read", touched)
    code, err = run_cli(capsys, "clean", "-o", "/")
    assert code == 2 and "文件系统的根目录" in err, err


def test_entries_that_are_not_outputs_are_kept(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a dedicated build/: a user's file listed with a wrong hash, and a ``.yaml`` listed
    with its true hash, are both kept and named; the real outputs go."""
    assert run_cli(capsys, "build", "-q", "-j", "1")[0] == 0
    build = reports_repo / "build"
    (build / "notes.md").write_text("我的笔记\n", encoding="utf-8")
    (build / "copy.yaml").write_bytes(b"agency: x\n")
    fake = {"source": "x", "fingerprint": "x", "size": 4, "sha256": "0" * 64}
    tamper(build, **{"notes.md": fake, "copy.yaml": entry(b"agency: x\n")})
    code, err = run_cli(capsys, "clean")
    assert code == 0, err
    assert sorted(outputs(build)) == ["copy.yaml", "notes.md"]
    assert "保留 build/notes.md：生成后被修改过" in err, err
    assert "保留 build/copy.yaml：不是 nianbao 生成的文件类型" in err, err


def test_an_output_edited_by_hand_is_kept_unless_forced(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "build", "-q", "-j", "1")[0] == 0
    edited = reports_repo / "build" / "qinghe-zfb" / "2022.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n审核意见：同意。\n", "utf-8")
    code, out, err = run_cli_both(capsys, "clean")
    assert code == 0 and "保留 build/qinghe-zfb/2022.md：生成后被修改过（加 --force 也删除）" in err
    assert "保留 1 个" in out, out
    assert outputs(reports_repo / "build") == {"qinghe-zfb/2022.md": edited.read_bytes()}
    code, err = run_cli(capsys, "clean")  # still recorded, still kept
    assert code == 0 and edited.exists(), err
    code, out, err = run_cli_both(capsys, "clean", "--force")
    assert code == 0 and "删除了 1 个生成的文件" in out, err
    assert not (reports_repo / "build").exists()


def test_a_manifest_without_hashes_proves_nothing(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A manifest of the old format (no SHA-256): nothing is deleted without --force."""
    assert run_cli(capsys, "build", "-q", "-j", "1", "-f", "md")[0] == 0
    build = reports_repo / "build"
    doc = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    old = {
        k: {x: v[x] for x in ("source", "fingerprint", "size")} for k, v in doc["outputs"].items()
    }
    (build / MANIFEST).write_text(json.dumps({"nianbao": 1, "outputs": old}), encoding="utf-8")
    before = outputs(build)
    code, err = run_cli(capsys, "clean")
    assert code == 0 and "无法确认是 nianbao 生成的" in err, err
    assert outputs(build) == before
    assert run_cli(capsys, "clean", "--force")[0] == 0
    assert not build.exists()


def test_clean_does_not_delete_through_a_symlinked_folder(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """build/qinghe-zfb replaced by a link to a folder holding byte-identical copies: the
    hashes match, but the files are not ours to delete."""
    assert run_cli(capsys, "build", "-q", "-j", "1")[0] == 0
    build = reports_repo / "build"
    victim = reports_repo / "victim"
    (build / "qinghe-zfb").rename(victim)
    (build / "qinghe-zfb").symlink_to("../victim")
    before = outputs(victim)
    code, err = run_cli(capsys, "clean", "--force")
    assert code == 0, err
    assert "build/qinghe-zfb 是符号链接，不经由它删除" in err, err
    assert outputs(victim) == before and len(before) == 3


def test_clean_keeps_a_running_writers_temporary_files(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A temporary file whose writer is alive is a build in progress: kept.  A dead
    writer's is swept."""
    assert run_cli(capsys, "build", "-q", "-j", "1", "-f", "md")[0] == 0
    folder = reports_repo / "build" / "qinghe-zfb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = folder / f"{TEMP_PREFIX}{os.getpid()}-abc.md"
    stale = folder / f"{TEMP_PREFIX}{dead.pid}-abc.md"
    live.write_bytes(b"half")
    stale.write_bytes(b"half")
    assert run_cli(capsys, "clean")[0] == 0
    assert live.exists() and not stale.exists()


# --------------------------------------------------------------------------- side by side

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1700000000"}
ROUNDS = 2


def nianbao(*argv: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", *argv],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV,
    )  # fmt: skip


def succeeded(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err.decode("utf-8", "replace")


def every_output_listed(build: Path) -> dict[str, bytes]:
    """Each output on disk is in the manifest with its true size and hash."""
    on_disk = outputs(build)
    listed = json.loads((build / MANIFEST).read_text(encoding="utf-8"))["outputs"]
    for key, data in on_disk.items():
        assert key in listed, f"{key} exists but the manifest lost it"
        assert (listed[key]["size"], listed[key]["sha256"]) == (len(data), sha(data)), key
    return on_disk


def test_builds_and_cleans_side_by_side_lose_no_manifest_entry(tmp_path: Path) -> None:
    """Two ``build --force`` run together while ``clean`` runs again and again until both
    are done, a few times: every command succeeds (clean leaves a running build's files
    alone) and every output on disk is in the manifest with its true hash.  One more build
    then restores everything, and the manifest lists exactly the outputs that exist."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for i in range(3):  # 21 reports: long enough for many cleans to overlap the builds
        for src in EXAMPLES.rglob("*.yaml"):
            dst = repo / "reports" / f"{src.parent.name}-{i}" / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
    build, cleans = repo / "build", 0
    for _ in range(ROUNDS):
        builds = [
            nianbao("build", "-q", "-j", "2", "--force", cwd=repo),
            nianbao("build", "-q", "-j", "1", "--force", cwd=repo),
        ]
        while any(b.poll() is None for b in builds) or not cleans:
            succeeded(nianbao("clean", cwd=repo))
            cleans += 1
        for proc in builds:
            succeeded(proc)
        if build.exists():
            every_output_listed(build)
    succeeded(nianbao("build", "-q", "-j", "2", cwd=repo))
    on_disk = every_output_listed(build)
    listed = json.loads((build / MANIFEST).read_text(encoding="utf-8"))["outputs"]
    assert sorted(listed) == sorted(on_disk)
    assert len(on_disk) == 3 * 3 * len(list(EXAMPLES.rglob("*.yaml")))
    assert not list(build.rglob(f"{TEMP_PREFIX}*"))
    print(f"{ROUNDS} rounds, {cleans} cleans during the builds")
