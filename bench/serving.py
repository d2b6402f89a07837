"""What the load benchmarks (asgi_load.py, load_work.py) share about the server they start:
a free loopback port, and waiting until its /readyz answers 200."""
import socket
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base, process, *, name, timeout):
    """Return once ``base``/readyz answers 200; exit naming ``name`` if the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name}: run-prod exited ({process.returncode}); see the log")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{name}: the server did not become ready")
