"""A private Icecast 2.4 server on loopback, started and stopped from Python.

The studio (demo, end-to-end tests, benchmarks, hardware test rig) needs a real Icecast to
stream rooms from. :class:`Icecast` writes a config into a fresh temporary directory, starts
``icecast2`` in the foreground on ``127.0.0.1`` and waits until ``/status-json.xsl`` answers.

Debian's icecast2 refuses to run as root, so when we are root it runs as the ``icecast2``
user; the temporary directory is handed to that user so it can write its
logs there.

**burst-size** is the one setting that shapes what a listener hears: on connect Icecast sends
a new listener up to ``burst_size_bytes`` of already-sent audio at once, so a client that plays
everything it receives stays that far behind live for good (measured at 64 kb/s: 0 → ~47 ms,
2 KB → ~230 ms, 8 KB → ~870 ms, 64 KB → ~7 s). The unit's *live* mode wants a small burst (or
skips the backlog itself); *road* mode profits from a big one (it fills its deep buffer at
once). 65536 is Icecast's own default. It can be set globally and per mount.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

ICECAST_BINARY = "icecast2"
ICECAST_USER = "icecast2"  # the Debian package's system user, used when we are root
SHARE_DIR = Path("/usr/share/icecast2")
DEFAULT_SOURCE_PASSWORD = "studio-source"  # loopback only: a private server, not a secret
DEFAULT_BURST_SIZE_BYTES = 65536
# Queue per listener before Icecast drops it; also the ceiling for any burst. 4 MiB holds
# ~5 minutes of 96 kb/s audio, far more than road mode's deepest buffer.
DEFAULT_QUEUE_SIZE_BYTES = 4 * 1024 * 1024


class IcecastError(RuntimeError):
    """Icecast could not be started, or did not answer as expected."""


@dataclass(frozen=True)
class MountSettings:
    """Per-mount overrides (``<mount type="normal">``); ``None`` keeps the global setting."""

    burst_size_bytes: int | None = None
    max_listeners: int | None = None
    fallback_mount: str | None = None
    fallback_override: bool = False
    hidden: bool = False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Icecast:
    """One running ``icecast2`` process bound to 127.0.0.1.

    Use as a context manager or call :meth:`start` / :meth:`stop`. Not thread-safe: start and
    stop it from one thread; :meth:`status` may be called from any thread.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        source_password: str = DEFAULT_SOURCE_PASSWORD,
        admin_password: str = "studio-admin",
        burst_size_bytes: int = DEFAULT_BURST_SIZE_BYTES,
        queue_size_bytes: int = DEFAULT_QUEUE_SIZE_BYTES,
        source_timeout_s: int = 10,
        max_clients: int = 1000,
        max_sources: int = 64,
        mounts: dict[str, MountSettings] | None = None,
        start_timeout_s: float = 10.0,
    ) -> None:
        if burst_size_bytes < 0 or queue_size_bytes <= 0:
            raise ValueError("burst_size_bytes must be >= 0 and queue_size_bytes > 0")
        if burst_size_bytes > queue_size_bytes:
            raise ValueError(
                f"burst_size_bytes ({burst_size_bytes}) must not exceed "
                f"queue_size_bytes ({queue_size_bytes}): Icecast cannot burst more than it queues"
            )
        for mount in mounts or {}:
            _check_mount_name(mount)
        self.host = "127.0.0.1"
        self.port = port
        self.source_password = source_password
        self.admin_password = admin_password
        self.burst_size_bytes = burst_size_bytes
        self.queue_size_bytes = queue_size_bytes
        self.source_timeout_s = source_timeout_s
        self.max_clients = max_clients
        self.max_sources = max_sources
        self.mounts = dict(mounts or {})
        self.start_timeout_s = start_timeout_s
        # Written into <location>, so start() knows the server answering is this one.
        self._token = secrets.token_hex(8)
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (valid once started)."""
        return f"http://{self.host}:{self.port}"

    def mount_url(self, mount: str) -> str:
        return self.base_url + _check_mount_name(mount)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Icecast:
        """Start the server and wait until it answers HTTP. Raises :class:`IcecastError`."""
        if self._process is not None:
            raise IcecastError("Icecast already started")
        if shutil.which(ICECAST_BINARY) is None:
            raise IcecastError(f"{ICECAST_BINARY} not found: apt-get install icecast2")
        pick_port = self.port == 0
        for attempt in range(3):
            if pick_port:
                self.port = free_port(self.host)
            try:
                self._launch()
                return self
            except IcecastError as exc:
                self._kill_and_clean()
                # A picked port can be taken between probing it and Icecast binding it.
                if not (pick_port and "listener socket" in str(exc) and attempt < 2):
                    raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop the server (SIGTERM, SIGKILL 0.3 s later) and delete its temporary directory."""
        self._kill_and_clean()

    def __enter__(self) -> Icecast:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- queries -----------------------------------------------------------------------------

    def status(self, timeout_s: float = 2.0) -> dict[str, Any]:
        """Parsed ``/status-json.xsl`` with ``icestats["source"]`` always a list.

        Icecast 2.4 writes a single source as an object, several as a list, none as no key.
        """
        url = self.base_url + "/status-json.xsl"
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = response.read()
        status = json.loads(body.decode("utf-8"))
        stats = status.setdefault("icestats", {})
        sources = stats.get("source", [])
        stats["source"] = [sources] if isinstance(sources, dict) else list(sources)
        return status

    def sources(self) -> dict[str, dict[str, Any]]:
        """Live sources keyed by mount name (``"/jazz.opus"``)."""
        result = {}
        for source in self.status()["icestats"]["source"]:
            mount = "/" + source.get("listenurl", "").split("/", 3)[-1]
            result[mount] = source
        return result

    def wait_for_mounts(self, *mounts: str, timeout_s: float = 5.0) -> dict[str, dict[str, Any]]:
        """Block until every given mount has a live source; return :meth:`sources`."""
        deadline = time.monotonic() + timeout_s
        while True:
            current = self.sources()
            missing = [m for m in mounts if m not in current]
            if not missing:
                return current
            if time.monotonic() > deadline:
                raise IcecastError(f"mounts never came up within {timeout_s} s: {missing}")
            time.sleep(0.02)

    # -- internals ---------------------------------------------------------------------------

    def _launch(self) -> None:
        self._workdir = Path(tempfile.mkdtemp(prefix="drivetime-icecast-"))
        (self._workdir / "log").mkdir()
        config_path = self._workdir / "icecast.xml"
        config_path.write_text(self.config_xml(), encoding="utf-8")
        drop_root: dict[str, Any] = {}
        if os.geteuid() == 0:
            # Icecast refuses root. Drop to its user in the child itself (rather than through
            # runuser) so icecast2 stays our direct child, which we can signal and reap.
            user = pwd.getpwnam(ICECAST_USER)
            drop_root = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
            for path in (self._workdir, self._workdir / "log", config_path):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._process = subprocess.Popen(
            [ICECAST_BINARY, "-c", str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a terminal's Ctrl-C reaches only us; stop() ends it
            **drop_root,
        )
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            exit_code = self._process.poll()
            if exit_code is not None:
                stderr = (
                    self._process.stderr.read().decode(errors="replace")
                    if (self._process.stderr)
                    else ""
                )
                raise IcecastError(
                    f"icecast2 exited with code {exit_code} on port {self.port}.\n"
                    f"stderr: {stderr.strip()}\nerror.log (last lines):\n{self._error_log_tail()}"
                )
            try:
                if self._token in self.status(timeout_s=0.5)["icestats"].get("location", ""):
                    return
            except (OSError, ValueError):
                pass  # not listening yet; or another server on this port, which we wait out
            if time.monotonic() > deadline:
                raise IcecastError(
                    f"icecast2 did not answer on {self.base_url} within "
                    f"{self.start_timeout_s} s.\nerror.log (last lines):\n{self._error_log_tail()}"
                )
            time.sleep(0.02)

    def _error_log_tail(self, lines: int = 15) -> str:
        if self._workdir is None:
            return "(no log)"
        try:
            text = (self._workdir / "log" / "error.log").read_text(errors="replace")
        except OSError as exc:
            return f"(error.log unreadable: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def _kill_and_clean(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # Icecast needs ~1.5 s to exit on SIGTERM (its threads poll once a second). A
            # private server has nothing worth a clean exit, so it gets a short grace only.
            process.terminate()
            try:
                process.wait(timeout=0.3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process is not None and process.stderr is not None:
            process.stderr.close()
        workdir, self._workdir = self._workdir, None
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    def config_xml(self) -> str:
        """The Icecast configuration this instance runs with."""
        root = ET.Element("icecast")
        _sub(root, "location", f"Drivetime studio {self._token}")
        _sub(root, "admin", "studio@localhost")
        _sub(root, "hostname", self.host)
        limits = ET.SubElement(root, "limits")
        _sub(limits, "clients", self.max_clients)
        _sub(limits, "sources", self.max_sources)
        _sub(limits, "queue-size", self.queue_size_bytes)
        _sub(limits, "client-timeout", 30)
        _sub(limits, "header-timeout", 15)
        _sub(limits, "source-timeout", self.source_timeout_s)
        _sub(limits, "burst-on-connect", 1 if self.burst_size_bytes else 0)
        _sub(limits, "burst-size", self.burst_size_bytes)
        auth = ET.SubElement(root, "authentication")
        _sub(auth, "source-password", self.source_password)
        _sub(auth, "relay-password", self.source_password)
        _sub(auth, "admin-user", "admin")
        _sub(auth, "admin-password", self.admin_password)
        listen = ET.SubElement(root, "listen-socket")
        _sub(listen, "port", self.port)
        _sub(listen, "bind-address", self.host)
        for name, settings in self.mounts.items():
            root.append(_mount_element(name, settings))
        _sub(root, "fileserve", 1)
        paths = ET.SubElement(root, "paths")
        workdir = self._workdir or Path(tempfile.gettempdir())
        _sub(paths, "basedir", workdir)
        _sub(paths, "logdir", workdir / "log")
        _sub(paths, "webroot", SHARE_DIR / "web")
        _sub(paths, "adminroot", SHARE_DIR / "admin")
        logging = ET.SubElement(root, "logging")
        _sub(logging, "accesslog", "access.log")
        _sub(logging, "errorlog", "error.log")
        _sub(logging, "loglevel", 3)  # info: enough to explain a failed start
        security = ET.SubElement(root, "security")
        _sub(security, "chroot", 0)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode") + "\n"


def _mount_element(name: str, settings: MountSettings) -> ET.Element:
    mount = ET.Element("mount", type="normal")
    _sub(mount, "mount-name", name)
    if settings.burst_size_bytes is not None:
        _sub(mount, "burst-size", settings.burst_size_bytes)
    if settings.max_listeners is not None:
        _sub(mount, "max-listeners", settings.max_listeners)
    if settings.fallback_mount is not None:
        _sub(mount, "fallback-mount", _check_mount_name(settings.fallback_mount))
        _sub(mount, "fallback-override", int(settings.fallback_override))
    if settings.hidden:
        _sub(mount, "hidden", 1)
    return mount


def _sub(parent: ET.Element, tag: str, value: object) -> None:
    ET.SubElement(parent, tag).text = str(value)


def _check_mount_name(mount: str) -> str:
    if not mount.startswith("/") or any(c.isspace() for c in mount) or len(mount) < 2:
        raise ValueError(f"mount names start with '/' and contain no spaces, got {mount!r}")
    return mount
