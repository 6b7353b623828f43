"""nianbao benchmarks: one command, figures for benchmarks/RESULTS.md.

    python benchmarks/run.py              # 1,000 synthetic reports
    python benchmarks/run.py -n 200       # quicker
    python benchmarks/run.py --write      # also rewrite benchmarks/RESULTS.md
    python benchmarks/run.py --pdf-only --write   # only the PDF figures (needs LibreOffice)

Synthetic reports are realistic: the full narrative of an example report (with its
figure references) and every table filled with random figures that satisfy every
rule.  Whole-process figures run the installed ``nianbao`` command, as a user would.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "examples" / "reports" / "lanxi-sfj" / "2024.yaml"
T3_COLUMNS = ["natural_person", "business", "research", "nonprofit", "legal_service", "other_org"]


def _t3(rng: random.Random) -> dict[str, Any]:
    from generator.spec import get_format

    table = get_format("2021").tables["applications"]
    outcome_rows = sorted(
        {
            c.path[1:-1]
            for c in table.cells
            if c.path[1] not in ("received", "carried_over", "carried_forward", "total")
        }
    )
    data: dict[str, Any] = {}
    totals = dict.fromkeys(T3_COLUMNS, 0)
    for row in outcome_rows:
        cells = {c: rng.choice([0, 0, 0, 1, 2, rng.randint(0, 40)]) for c in T3_COLUMNS}
        node = data
        for part in row[:-1]:
            node = node.setdefault(part, {})
        node[row[-1]] = cells
        for c in T3_COLUMNS:
            totals[c] += cells[c]
    forward = {c: rng.randint(0, 3) for c in T3_COLUMNS}
    over = {c: rng.randint(0, min(2, totals[c] + forward[c])) for c in T3_COLUMNS}
    data["received"] = {c: totals[c] + forward[c] - over[c] for c in T3_COLUMNS}
    data["carried_over"] = over
    data["carried_forward"] = forward
    return data


def synthetic_report(rng: random.Random, agency: str, year: int) -> str:
    """One valid report: the template's narrative, random but consistent tables."""
    base = yaml.safe_load(TEMPLATE.read_text("utf-8"))
    base["agency"] = agency
    base["year"] = year
    base.pop("published", None)
    issued, repealed = rng.randint(0, 20), rng.randint(0, 5)
    base["proactive_disclosure"] = {
        "regulations": {"issued": 0, "repealed": 0, "in_force": rng.randint(0, 3)},
        "normative_documents": {
            "issued": issued,
            "repealed": repealed,
            "in_force": issued + rng.randint(repealed, 80),
        },
        "licensing": rng.randint(0, 5000),
        "penalties": rng.randint(0, 900),
        "coercion": rng.randint(0, 50),
        "fees": f"{rng.randint(0, 99999)}.{rng.randint(0, 9999):04d}",
    }
    base["applications"] = _t3(rng)
    base["review_litigation"] = {
        group: {k: rng.randint(0, 3) for k in ("upheld", "corrected", "other", "pending")}
        for group in ("review", "direct_suit", "suit_after_review")
    }
    return yaml.safe_dump(base, allow_unicode=True, sort_keys=False, width=1000)


def make_tree(root: Path, n: int, seed: int = 2025) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        path = root / "reports" / f"agency-{i:04d}" / "2024.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(synthetic_report(rng, f"澜溪市第{i}局", 2024), "utf-8")
        paths.append(path)
    (root / ".git").mkdir(exist_ok=True)
    return paths


def nianbao(*args: str, cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """Run the command as a user would; returns (seconds, peak RSS of the child in KiB)."""
    exe = shutil.which("nianbao") or f"{sys.executable} -m generator"
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*exe.split(), *args], cwd=cwd, stdout=err, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            raise SystemExit(f"nianbao {' '.join(args)} failed:\n{err.read()[-2000:].decode()}")
    return seconds, usage.ru_maxrss  # this process only (workers of -j are separate)


def in_process(paths: list[Path]) -> dict[str, float]:
    """Median milliseconds per report for each stage, in one warm process."""
    from generator.render import RenderOptions, get_renderer
    from generator.validate import check_file

    stages: dict[str, list[float]] = {"validate": [], "docx": [], "html": [], "md": []}
    options = RenderOptions()
    renderers = {s: get_renderer(s) for s in ("docx", "html", "md")}
    check_file(paths[0])  # warm caches: schema validator, templates, base DOCX
    for r in renderers.values():
        r.render(check_file(paths[0]).report, options)  # type: ignore[arg-type]
    for path in paths:
        t0 = time.perf_counter()
        outcome = check_file(path)
        stages["validate"].append(time.perf_counter() - t0)
        assert outcome.report is not None, outcome.diagnostics
        for s, r in renderers.items():
            t0 = time.perf_counter()
            r.render(outcome.report, options)
            stages[s].append(time.perf_counter() - t0)
    out = {k: statistics.median(v) * 1000 for k, v in stages.items()}
    out["all three formats"] = sum(out.values())
    return out


CORPUS = ROOT.parent / "shared" / "corpus" / "files"


def check_throughput(cores: int, copies: int = 10) -> list[tuple[str, str]]:
    """``nianbao check`` over the corpus, and over the examples published as HTML and DOCX."""
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if CORPUS.is_dir():
            files = sorted(str(p) for p in CORPUS.iterdir() if p.is_file())
            runs = [
                nianbao("check", "-j", "1", *files, cwd=root, ok=(0, 1, 2))[0] for _ in range(5)
            ]
            rows.append(
                (f"`nianbao check` over the corpus ({len(files)} documents, median of 5)",
                 f"{statistics.median(runs) * 1000:.0f} ms")
            )  # fmt: skip
        nianbao(
            "build",
            "-q",
            "-f",
            "docx,html",
            "-o",
            "pub",
            str(ROOT / "examples" / "reports"),
            cwd=root,
        )
        published = sorted(p for p in (root / "pub").rglob("*") if p.suffix in (".html", ".docx"))
        many = []
        for i in range(copies):
            for p in published:
                many.append(root / "many" / f"{i}-{p.parent.name}-{p.name}")
                many[-1].parent.mkdir(exist_ok=True)
                shutil.copyfile(p, many[-1])
        names = [str(p) for p in many]
        from generator.importer.check import check_one

        check_one(names[0])  # warm: format data, schema, parsers
        per_doc = []
        for name in names[: len(published)]:
            t0 = time.process_time()
            check_one(name)
            per_doc.append(time.process_time() - t0)
        rows.append(
            ("in-process CPU per published document: import + validate (median)",
             f"{statistics.median(per_doc) * 1000:.0f} ms")
        )  # fmt: skip
        for jobs in (1, cores):
            seconds, rss = nianbao("check", "-j", str(jobs), *names, cwd=root, ok=(0, 1))
            rows.append(
                (f"`nianbao check -j {jobs}`, {len(names)} published HTML/DOCX reports",
                 f"{seconds:.2f} s = {len(names) / seconds:.0f} documents/s, {rss / 1024:.0f} MiB")
            )  # fmt: skip
    return rows


def pdf_rows(n: int, cores: int) -> list[tuple[str, str]]:
    """PDF throughput: ``n`` reports in one build (one LibreOffice process for all of
    them), against starting LibreOffice once per file, and the no-op rebuild."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return [("PDF", "skipped: LibreOffice is not installed")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_tree(root, n)
        docx, _ = nianbao("build", "-q", "-f", "docx", "-o", "d", cwd=root)
        both, rss = nianbao("build", "-q", "-f", "docx,pdf", "-j", str(cores), "-o", "p", cwd=root)
        noop, _ = nianbao("build", "-q", "-f", "docx,pdf", "-o", "p", cwd=root)
        single = [
            _one_soffice(soffice, root, path) for path in sorted((root / "d").rglob("*.docx"))[:3]
        ]
    batch = (both - docx) / n
    return [
        (
            f"PDF: {n} reports, `build -f docx,pdf -j {cores}` (one LibreOffice process)",
            f"{both:.1f} s = {n / both:.2f} reports/s",
        ),
        ("PDF: time per report beyond the DOCX, batched", f"{batch:.2f} s"),
        (
            "PDF: one LibreOffice process per file (median of 3, for comparison)",
            f"{statistics.median(single):.2f} s per report",
        ),
        (f"PDF: no-op rebuild of {n} reports (LibreOffice not started)", f"{noop * 1000:.0f} ms"),
        ("PDF: peak memory of the largest process (LibreOffice)", f"{rss / 1024:.0f} MiB"),
    ]


def _one_soffice(soffice: str, root: Path, docx: Path) -> float:
    out = root / "single" / docx.parent.name
    start = time.perf_counter()
    subprocess.run(
        [soffice, f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), str(docx)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return time.perf_counter() - start


def _machine(cores: int) -> str:
    return (
        f"{platform.node() or 'machine'}: {cores} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def _write_pdf(rows: list[tuple[str, str]], machine: str, n: int) -> None:
    """Replace the PDF section of RESULTS.md (after ``<!-- pdf -->``)."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text("utf-8")
    head, _, rest = text.partition("<!-- pdf -->")
    after = rest.split("<!-- /pdf -->", 1)[1] if "<!-- /pdf -->" in rest else "\n"
    table = "\n".join(["| measure | result |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])
    section = (
        f"<!-- pdf -->\n\nMachine: {machine}; LibreOffice {_soffice_version()}; "
        f"{time.strftime('%Y-%m-%d')}; `python benchmarks/run.py --pdf {n} --pdf-only`.\n\n"
        f"{table}\n\n<!-- /pdf -->"
    )
    path.write_text(head + section + after, "utf-8")


def _soffice_version() -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return "-"
    done = subprocess.run([soffice, "--version"], capture_output=True, text=True, timeout=120)
    return " ".join(done.stdout.split()[1:2]) or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="number of synthetic reports")
    parser.add_argument("--pdf", type=int, default=100, help="reports in the PDF build")
    parser.add_argument("--pdf-only", action="store_true", help="measure only the PDF output")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    parser.add_argument("--check-only", action="store_true", help="only `nianbao check` throughput")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if args.check_only:
        for a, b in check_throughput(cores):
            print(f"| {a} | {b} |")
        return
    if args.pdf_only:
        rows = pdf_rows(args.pdf, cores)
        print(_machine(cores))
        print("\n".join(f"| {a} | {b} |" for a, b in rows))
        if args.write:
            _write_pdf(rows, _machine(cores), args.pdf)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_tree(root, args.n)
        one = paths[0].relative_to(root)
        cold = [
            nianbao("build", "-q", "--force", "-o", "one", str(one), cwd=root)[0] for _ in range(10)
        ]
        stages = in_process(paths[: min(200, len(paths))])
        serial, rss_serial = nianbao("build", "-q", "-j", "1", "-o", "b1", cwd=root)
        parallel, rss_par = nianbao("build", "-q", "-j", str(cores), "-o", "bn", cwd=root)
        noop, _ = nianbao("build", "-q", "-j", str(cores), "-o", "bn", cwd=root)
        validate, _ = nianbao("validate", "-q", "reports", cwd=root)
        half_root = root / "half"
        make_tree(half_root, max(1, args.n // 4))
        _, rss_quarter = nianbao("build", "-q", "-j", "1", "-o", "b", cwd=half_root)
    n = args.n
    rows = [
        (
            "cold `nianbao build one.yaml`, all three formats (median of 10)",
            f"{statistics.median(cold) * 1000:.0f} ms",
        ),
        (f"full build, -j 1 ({n} reports)", f"{serial:.2f} s = {n / serial:.0f} reports/s"),
        (f"full build, -j {cores}", f"{parallel:.2f} s = {n / parallel:.0f} reports/s"),
        (f"no-op rebuild of {n} reports", f"{noop * 1000:.0f} ms"),
        (
            f"validate only ({n} reports, one process)",
            f"{validate:.2f} s = {n / validate:.0f} reports/s",
        ),
        (
            f"peak memory, -j 1 build of {n // 4} / {n} reports",
            f"{rss_quarter / 1024:.0f} / {rss_serial / 1024:.0f} MiB",
        ),
        (f"peak memory, -j {cores} build (largest process)", f"{rss_par / 1024:.0f} MiB"),
    ]
    rows += [(f"in-process median per report: {k}", f"{v:.2f} ms") for k, v in stages.items()]
    rows += check_throughput(cores)
    machine = _machine(cores)
    table = "\n".join(["| measure | result |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])
    print(machine)
    print(table)
    if args.write:
        text = (ROOT / "benchmarks" / "RESULTS.md").read_text("utf-8")
        head, _, rest = text.partition("<!-- results -->")
        pdf = rest[rest.index("## PDF output") :] if "## PDF output" in rest else ""
        (ROOT / "benchmarks" / "RESULTS.md").write_text(
            f"{head}<!-- results -->\n\nMachine: {machine}; "
            f"{time.strftime('%Y-%m-%d')}; `python benchmarks/run.py -n {n}`.\n\n{table}\n\n" + pdf,
            "utf-8",
        )
    if args.pdf:
        pdf = pdf_rows(args.pdf, cores)
        print("\n".join(f"| {a} | {b} |" for a, b in pdf))
        if args.write:
            _write_pdf(pdf, machine, args.pdf)


if __name__ == "__main__":
    main()
