"""Free TCP ports on the loopback interface, for servers a process starts itself.

Used by the embedded FalkorDB (``graph/falkordb_server.py``), the benchmark's
API server (``perf/server.py``) and the tests' live servers (``tests/live.py``).
"""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now.

    The operating system picks it (a bind to port 0), and the socket is closed
    before returning, so another process may take the port before the caller
    binds it: a caller that must not lose it retries on a failed bind.

    Args:
        host: the address to bind, 127.0.0.1 by default.

    Returns:
        The port number (1-65535).

    Raises:
        OSError: ``host`` cannot be bound.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_bindable(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could bind ``port`` on ``host`` now (with ``SO_REUSEADDR``, as
    servers do: connections of a server that has exited do not hold it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
