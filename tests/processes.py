"""Starting and stopping a real process that serves HTTP (a server, nginx) for the tests and
the benches.  Imports nothing of the app: a bench calls it before it sets the database up."""

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, child: subprocess.Popen, *, seconds: float,
                         what: str) -> httpx.Response:
    """The first answer of ``url`` (any status); RuntimeError naming ``what`` if ``child``
    exits or ``seconds`` pass before it answers."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


def stop(child: subprocess.Popen, seconds: float = 20) -> None:
    """SIGTERM, and SIGKILL if it has not exited within ``seconds``."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
