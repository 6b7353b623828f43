"""Fuzzing harness for the report loader and validator (hypothesis-driven).

Run it for a while; it stops at the first finding, shrinks it and saves it::

    python tests/fuzz.py --seconds 60            # random seed, report findings
    python tests/fuzz.py --seconds 600 --save    # also keep new interesting inputs
    python tests/fuzz.py --replay                # run the corpus only

Inputs are arbitrary YAML documents, mutations of the example reports (deleted keys,
wrong types, negative, huge and non-finite numbers, unicode edge cases, junk), text
and byte level damage (duplicated lines, broken indentation, other encodings).  Each
input goes through ``source.loads`` and ``validate.check_source`` in this process; a
valid one is also rendered to DOCX, HTML and Markdown.  A finding is any exception
that escapes, a diagnostic that does not name the file (and, for errors, the line), a
DOCX whose XML does not parse, or an input that takes longer than ``TIME_LIMIT``.

"Interesting" inputs are the first small input to reach each new outcome (the set of
diagnostic codes); ``--save`` stores them, and every finding, in ``tests/fuzz_corpus/``
named by content hash.  ``tests/test_fuzz.py`` replays the whole corpus and runs this
harness for a few seconds in CI.  Exit status: 0 no finding, 1 finding, 2 usage.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import string
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.dom import minidom

import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from generator.errors import InvalidReport
from generator.render import RenderOptions, get_renderer
from generator.source import iter_paths, loads
from generator.validate import check_source

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "fuzz_corpus"
EXAMPLES = HERE.parent / "examples" / "reports"
NAME = "fuzz/2022.yaml"
TIME_LIMIT = 10.0
"""Seconds one input may take (load, validate and, if valid, render three formats)."""
KEEP_BYTES = 12288
"""Interesting inputs larger than this are not saved: the corpus stays small."""


class Finding(AssertionError):
    """A bug: the message says what went wrong with which input."""


# --------------------------------------------------------------------------- the check


def check(data: bytes, *, render: bool = True) -> str:
    """Load, validate and (if valid) render ``data``; return the outcome's signature.

    Raises Finding for anything that is a bug rather than a report error.
    """
    start = time.perf_counter()
    try:
        source = loads(data, NAME)
    except InvalidReport as exc:
        diagnostics, stage = list(exc.diagnostics), "load"
    except Exception as exc:
        raise Finding(f"loader raised {type(exc).__name__}: {exc}") from exc
    else:
        try:
            outcome = check_source(source)
        except Exception as exc:
            raise Finding(f"validator raised {type(exc).__name__}: {exc}") from exc
        diagnostics, stage = outcome.diagnostics, "valid" if outcome.ok else "invalid"
        if render and outcome.report is not None:
            _render(outcome.report)
    for d in diagnostics:
        if d.location.file != NAME:
            raise Finding(f"diagnostic names {d.location.file!r}, not the file: {d.format()}")
        if d.severity == "error" and d.location.line < 1:
            raise Finding(f"error without a line number: {d.format()}")
        text = d.format()
        if "Traceback" in text:
            raise Finding(f"a traceback in a message: {text}")
        json.dumps(d.to_json(), ensure_ascii=False).encode("utf-8")
    elapsed = time.perf_counter() - start
    if elapsed > TIME_LIMIT:
        raise Finding(f"took {elapsed:.1f} s (limit {TIME_LIMIT} s)")
    return stage + ":" + ",".join(sorted({d.code for d in diagnostics}))


def _render(report: Any) -> None:
    options = RenderOptions()
    for suffix in ("docx", "html", "md"):
        try:
            data = get_renderer(suffix).render(report, options)
        except Exception as exc:
            raise Finding(f"rendering {suffix} raised {type(exc).__name__}: {exc}") from exc
        if suffix == "docx":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for name in z.namelist():
                    if name.endswith((".xml", ".rels")):
                        try:
                            minidom.parseString(z.read(name))
                        except Exception as exc:
                            raise Finding(f"DOCX part {name} is not XML: {exc}") from exc
        else:
            data.decode("utf-8")


# --------------------------------------------------------------------------- inputs

ODD_TEXT = [
    "１２",  # full-width digits
    "２０２２",
    "\u200b",  # zero-width space
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\ufeff",  # BOM inside text
    "\u3000",  # ideographic space
    "e\u0301",  # combining accent
    "😀",
    "👩\u200d👩\u200d👧",
    "𠀀",  # astral CJK
    "\u2028",
    "\x01",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\ufffe",
    "\uffff",
    "\ud800",  # lone surrogate
    "\udfff",
    "<script>alert(1)</script>",
    "{{ ''.__class__.__mro__ }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 'a' * 10**9 }}",
    "{{ applications.received.total }}",
    "{{ year | pct(year) }}",
    "**粗体**",
    "[链接](javascript:alert(1))",
    "&amp;&lt;",
    "---",
    "...",
    "%YAML 1.1",
    "a" * 5000,
]
ODD_NUMBERS: list[Any] = [
    -1,
    0,
    1,
    10**18,
    10**18 + 1,
    2**63,
    -(2**63),
    10**40,
    10**41,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -0.0,
    0.5,
    1.23456789,
    True,
    False,
    None,
]
YAML_TOKENS = [
    "\n", "  ", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!python/object:os.system ",
    "!!binary ", "!custom ", "? ", "| ", "> ", '"', "'", "#", "<<: ", "---\n", "...\n",
    "%TAG ! tag:x,2000:\n", "\t", "0o17", "0x1F", "017", "1_000", "1e5", "1.0e+999", ".nan",
    "-.inf", "~", "null", "yes", "no", "2022-01-01", "12:30:00", "agency", "year", "overview",
    "applications", "received", "total", "natural_person", "\\x01", "\\u0007", "\\uFFFE",
]  # fmt: skip
KEYS = [
    "agency", "year", "format", "published", "website", "overview", "summary", "proactive",
    "applications", "received", "total", "business", "withheld", "third_party",
    "review_litigation", "review", "problems", "text", "other_matters", "fee",
    "proactive_disclosure", "licensing", "fees", "regulations", "issued", "x", "",
]  # fmt: skip


def example_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.rglob("*.yaml"))]


def _scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(ODD_NUMBERS),
        st.sampled_from(ODD_TEXT),
        st.integers(),
        st.text(max_size=30),
        st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
        st.floats(),
        st.booleans(),
        st.none(),
    )


def _junk() -> st.SearchStrategy[Any]:
    keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=10))
    return st.recursive(
        _scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=12,
    )


def _dump(data: Any, flow: bool | None) -> bytes:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=flow)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def mutated_report(draw: st.DrawFn) -> bytes:
    """A valid example report, loaded as data, with a few values deleted or replaced."""
    texts = example_texts()
    data = yaml.safe_load(draw(st.sampled_from(texts)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p, _ in iter_paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "replace", "odd", "add", "text"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(_junk())
        elif action == "odd":
            parent[path[-1]] = draw(st.sampled_from(ODD_NUMBERS + ODD_TEXT))
        elif action == "text" and isinstance(parent[path[-1]], str):
            old = parent[path[-1]]
            at = draw(st.integers(0, len(old)))
            parent[path[-1]] = old[:at] + draw(st.sampled_from(ODD_TEXT)) + old[at:]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(_junk())
    return _dump(data, draw(st.sampled_from([None, False, True])))


@st.composite
def damaged_text(draw: st.DrawFn) -> bytes:
    """An example report's text with lines duplicated, cut, re-indented or spliced."""
    lines = draw(st.sampled_from(example_texts())).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["dup", "drop", "indent", "splice", "truncate"]))
        if action == "dup":
            lines.insert(i, lines[i])
        elif action == "drop":
            del lines[i]
        elif action == "indent":
            lines[i] = draw(st.sampled_from([" ", "\t", "   ", ""])) + lines[i].lstrip(" ")
        elif action == "splice":
            at = draw(st.integers(0, len(lines[i])))
            token = draw(st.sampled_from(YAML_TOKENS + ODD_TEXT))
            lines[i] = lines[i][:at] + token + lines[i][at:]
        else:
            lines = lines[:i]
        if not lines:
            break
    text = "".join(lines)
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "utf-16", "gb18030"]))
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


@st.composite
def token_soup(draw: st.DrawFn) -> bytes:
    """YAML-looking text made of syntax tokens, report keys and odd characters."""
    parts = draw(
        st.lists(st.one_of(st.sampled_from(YAML_TOKENS), st.text(max_size=8)), max_size=40)
    )
    return "".join(parts).encode("utf-8", "surrogatepass")


def inputs() -> st.SearchStrategy[bytes]:
    """Everything the harness feeds the loader."""
    return st.one_of(
        mutated_report(),
        damaged_text(),
        token_soup(),
        _junk().flatmap(lambda d: st.sampled_from([None, True, False]).map(lambda f: _dump(d, f))),
        st.binary(max_size=200),
        st.text(alphabet=string.printable, max_size=200).map(str.encode),
    )


# --------------------------------------------------------------------------- running


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and not p.name.startswith("README"))


def save(data: bytes, kind: str = "") -> Path:
    CORPUS.mkdir(exist_ok=True)
    path = CORPUS / f"{kind}{hashlib.sha256(data).hexdigest()[:16]}.yaml"
    path.write_bytes(data)
    return path


def replay(report: Callable[[str], None] = print) -> int:
    """Check every corpus file; returns how many there were."""
    files = corpus_files()
    for path in files:
        try:
            check(path.read_bytes())
        except Finding as exc:
            raise Finding(f"{path.name}: {exc}") from exc
    report(f"replayed {len(files)} corpus inputs")
    return len(files)


def fuzz(seconds: float, first_seed: int | None, keep: bool) -> int:
    """Feed generated inputs for ``seconds``; 0 when nothing was found, 1 on a finding."""
    stop = time.monotonic() + seconds
    outcomes: Counter[str] = Counter()
    known = {check(p.read_bytes()) for p in corpus_files()} if CORPUS.is_dir() else set()
    kept: list[Path] = []
    last: list[bytes] = []
    total = 0

    def one(data: bytes) -> None:
        last[:] = [data]
        signature = check(data)
        outcomes[signature] += 1
        if keep and signature not in known and len(data) <= KEEP_BYTES:
            known.add(signature)
            kept.append(save(data))

    batch = 0
    while time.monotonic() < stop:
        run = settings(
            max_examples=50,
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )(given(inputs())(one))
        if first_seed is not None:
            run = seed(first_seed + batch)(run)
        batch += 1
        try:
            run()
        except Finding as exc:
            path = save(last[0], "crash-")
            print(f"FINDING: {exc}\n  minimal input saved as {path}", file=sys.stderr)
            return 1
        total += 50
    print(
        f"fuzzed {total} inputs in {seconds:.0f} s: {len(outcomes)} distinct outcomes, "
        f"{sum(n for s, n in outcomes.items() if s.startswith('valid'))} valid and rendered; "
        f"{len(kept)} new inputs kept in {CORPUS.name}/",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long to fuzz")
    parser.add_argument("--seed", type=int, help="first hypothesis seed (reproducible run)")
    parser.add_argument("--save", action="store_true", help="keep new interesting inputs")
    parser.add_argument("--replay", action="store_true", help="only replay the corpus")
    args = parser.parse_args(argv)
    try:
        replay(lambda m: print(m, file=sys.stderr))
    except Finding as exc:
        print(f"FINDING in corpus: {exc}", file=sys.stderr)
        return 1
    if args.replay:
        return 0
    return fuzz(args.seconds, args.seed, args.save)


if __name__ == "__main__":
    sys.exit(main())
