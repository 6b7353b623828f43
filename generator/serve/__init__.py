"""``nianbao serve``: a live preview of the reports while they are being written.

Builds once, serves the output folder on 127.0.0.1, watches the reports, last year's
files, the templates and the config, and rebuilds after each batch of changes; the
pages reload themselves through a server-sent events stream.  An invalid report's
page shows its diagnostics instead.  The preview writes nothing but what ``build``
writes, and the built files are byte for byte those of ``nianbao build``.

Threads: the main thread builds and watches (signals arrive there); one thread runs
the HTTP server, which starts one thread per request.  Ctrl-C sets the stop event the
build and the watcher look at; then the server is stopped and every thread joined.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import webbrowser
from collections.abc import Sequence

__all__ = ["serve"]


def serve(paths: Sequence[str], *, output: str | None, port: int | None, open_browser: bool) -> int:
    """Run the preview until Ctrl-C or SIGTERM; returns the exit code (130, 143)."""
    from ..cli import _stop_on_signals
    from .preview import Preview
    from .server import HOST, bind

    with _stop_on_signals() as stopped:
        preview = Preview(paths, output, stopped.event)
        server, moved = bind(preview.site, port)
        thread: threading.Thread | None = None
        try:
            if moved:
                print(f"nianbao: {moved}", file=sys.stderr)
            config = preview.config
            preview.rebuild(jobs=config.jobs or os.cpu_count() or 1, fatal=True)  # no thread yet
            if stopped.event.is_set():
                return _stopped(stopped.signum)
            thread = threading.Thread(
                target=server.serve_forever, args=(0.1,), name="nianbao-serve", daemon=True
            )
            thread.start()
            announced = False
            with contextlib.closing(preview.changes()) as changes:
                for _changed in changes:
                    preview.rebuild(jobs=1)  # in-process: no fork beside the server's threads
                    if not announced:  # watching now: no edit from here on is missed
                        _announce(f"http://{HOST}:{server.server_port}/", open_browser)
                        announced = True
        finally:
            if thread is not None:
                server.stop()
                thread.join()
            else:
                server.server_close()
    return _stopped(stopped.signum)


def _announce(url: str, open_browser: bool) -> None:
    print(f"正在预览：{url}（修改后自动刷新；Ctrl-C 结束）", file=sys.stderr)
    if open_browser:
        threading.Thread(target=_open, args=(url,), daemon=True).start()


def _open(url: str) -> None:
    """Open the browser (in a thread: some browsers block until closed); say so if none."""
    try:
        opened = webbrowser.open(url)
    except Exception:  # noqa: BLE001 - whatever the platform's launcher does, serving goes on
        opened = False
    if not opened:
        print(f"nianbao: 无法自动打开浏览器，请手动打开 {url}", file=sys.stderr)


def _stopped(signum: int | None) -> int:
    print("nianbao: 预览已停止", file=sys.stderr)
    return 128 + signum if signum is not None else 0
