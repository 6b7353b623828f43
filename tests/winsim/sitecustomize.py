"""Make this Python look like Windows to nianbao (used by tests/test_windows_sim.py).

Loaded at start-up from PYTHONPATH.  The standard library and the test tools are
imported first with the real platform (they pick their implementation on import),
then the POSIX-only modules are made unimportable and multiprocessing spawns as on
Windows.  Any ``import fcntl`` (or resource, pwd, grp, termios) left in nianbao then
fails as it would there.  Each ``generator`` module, once imported, sees a ``sys``
whose ``platform`` is "win32", so every branch nianbao makes on it takes its Windows
side, while pytest and the standard library keep the real one (they would try to
load Windows-only modules).  Child processes inherit the simulation.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCKED = ("fcntl", "resource", "pwd", "grp", "termios", "pty", "tty", "posix_ipc")

if os.environ.get("NIANBAO_WINSIM") == "1":
    import asyncio  # noqa: F401
    import concurrent.futures  # noqa: F401
    import ctypes
    import getpass  # noqa: F401
    import multiprocessing
    import multiprocessing.pool
    import shutil  # noqa: F401
    import subprocess
    import tempfile  # noqa: F401

    for _name in ("pytest", "_pytest.tmpdir"):
        with contextlib.suppress(ImportError):
            __import__(_name)
    for _name in BLOCKED:
        sys.modules[_name] = None  # type: ignore[assignment]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "only soft file lock is available": as intended
        import filelock  # noqa: F401  (chooses its lock now that fcntl is gone)
    multiprocessing.set_start_method("spawn", force=True)

    class _WindowsSys(types.ModuleType):
        """``sys`` with platform "win32"; everything else is the real module's."""

        platform = "win32"

        def __getattr__(self, name: str) -> Any:
            return getattr(sys, name)

    _SYS = _WindowsSys("sys")

    class _Loader(importlib.abc.Loader):
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:  # get_code, for ``python -m generator``
            return getattr(self.inner, name)

        def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
            return self.inner.create_module(spec)

        def exec_module(self, module: types.ModuleType) -> None:
            self.inner.exec_module(module)
            if isinstance(module.__dict__.get("sys"), types.ModuleType):
                module.sys = _SYS  # type: ignore[attr-defined]

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(
            self, name: str, path: Sequence[str] | None, target: object = None
        ) -> importlib.machinery.ModuleSpec | None:
            if name != "generator" and not name.startswith("generator."):
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader)
            return spec

    sys.meta_path.insert(0, _Finder())

    class _Kernel32:
        """The three kernel32 calls nianbao's liveness test makes, answered from /proc."""

        def __init__(self) -> None:
            self.error = 0

        def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    state = fh.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                state = "gone"
            if state in ("gone", "Z"):
                self.error = 87  # ERROR_INVALID_PARAMETER: no such process
                return 0
            return pid

        def GetLastError(self) -> int:
            return self.error

        def GetExitCodeProcess(self, handle: int, code: Any) -> int:
            code._obj.value = 259  # STILL_ACTIVE
            return 1

        def CloseHandle(self, handle: int) -> int:
            return 1

    ctypes.windll = types.SimpleNamespace(kernel32=_Kernel32())  # type: ignore[attr-defined]

    _popen_init = subprocess.Popen.__init__

    def _init(self: subprocess.Popen[bytes], *args: object, **kwargs: object) -> None:
        env = kwargs.get("env")
        if isinstance(env, dict):
            paths = [HERE, *filter(None, str(env.get("PYTHONPATH", "")).split(os.pathsep))]
            kwargs["env"] = {**env, "PYTHONPATH": os.pathsep.join(paths), "NIANBAO_WINSIM": "1"}
        _popen_init(self, *args, **kwargs)  # type: ignore[arg-type]

    subprocess.Popen.__init__ = _init  # type: ignore[method-assign]
