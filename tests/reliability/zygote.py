"""A process that imports the service once and forks a fresh ``jcredit serve`` per request.

Starting ``jcredit serve`` costs seconds of imports on a busy machine; the crash trials
restart the service dozens of times, so this helper pays for the imports once and forks.
Each child is the real service: it sets its environment, then runs the CLI's ``serve``
command (``--no-demo``), i.e. bootstrap, migrations and uvicorn, exactly as an operator
would. The harness ``kill -9``s the child; the parent ignores SIGCHLD so that dead children
are reaped at once.

Protocol: one JSON object per line on stdin (``{"port": …, "env": {…}, "log": path}``),
answered by ``{"pid": …}`` on stdout. End of input ends the helper.
Run as a script (no package import): ``python tests/reliability/zygote.py``.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def serve_child(port: int, env: dict[str, str], log: str) -> None:
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.update(env)
    code = 0
    try:
        from jcredit.entrypoints.cli.app import app

        app(["serve", "--no-demo", "--host", "127.0.0.1", "--port", str(port)])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # report anything, then leave without cleanup
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def warm_up() -> None:
    """Pay for the imports here, once: bootstrap a throw-away registry (migrations, the
    app), which imports what ``serve`` imports lazily. Nothing stays open across the fork."""
    import shutil
    import tempfile
    from pathlib import Path

    import uvicorn  # noqa: F401

    from jcredit.bootstrap import bootstrap
    from jcredit.config import Settings
    from jcredit.entrypoints.api.app import create_app
    from jcredit.entrypoints.cli.app import app  # noqa: F401

    work = Path(tempfile.mkdtemp(prefix="jcredit-zygote-"))
    try:
        registry = bootstrap(Settings(data_dir=work, environment="test"))
        create_app(registry.settings, registry=registry)
        registry.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    warm_up()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            serve_child(int(request["port"]), dict(request["env"]), str(request["log"]))
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    main()
