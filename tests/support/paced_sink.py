"""A PortAudio output paced in real time on a machine without a sound card, and its recording.

ALSA's ``file`` plugin (tests/audio/asound_file.conf) is bit-exact but not paced: a second of
audio "plays" in about a millisecond, so it cannot tell *when* the unit played something. This
module starts a private PipeWire whose only sink is a null sink driven by PipeWire's timer
(real time), lets PortAudio play into it and records the sink's monitor::

    with PacedSink() as sink:                      # or the session fixture ``paced_sink``
        with sink.capture(tmp_path / "out.raw") as capture:
            subprocess.run([..., "drivetime-unit", "play", url, "--output", "pyaudio"],
                           env=sink.env)
        pcm = capture.path.read_bytes()           # raw s16le, 48 kHz, stereo (CAR_PCM)

``env`` is this process's environment plus ``env_overrides`` (apply those to ``os.environ``
before PortAudio is initialised to play from this process). PortAudio's default output is
then ALSA's ``pulse`` plugin (tests/support/asound_pulse.conf) talking to PipeWire's built-in
PulseAudio server. ``Capture.time_of_frame`` maps a captured frame to ``time.monotonic()``.

Processes: ``pipewire`` and ``wireplumber`` (the session manager; nothing gets linked without
it) in their own process group, plus one ``pw-record`` per capture in the same group.
``stop()`` (also run at exit, and by the fixture's teardown) kills the whole group and removes
the temporary directory. No D-Bus daemon is needed (see quirks).

Quirks found on Debian 12 (PipeWire 0.3.65, WirePlumber 0.4.13), measured on this machine:

* Start-up to "default sink set" takes ~0.15 s. PortAudio reports 40 ms output latency for
  960-frame buffers (a 20 ms request is rounded up by the pulse plugin).
* Bit-exact for 48 kHz s16 stereo: PipeWire converts s16 -> f32 -> s16 exactly (no dither, unit
  volume; WirePlumber's stream-restore is off so no saved volume can apply). Another rate is
  resampled and so is no longer bit-exact.
* When a PortAudio callback returns ``paComplete`` (or ``stop_stream()`` is called) the ALSA
  pulse plugin drops the last ~36 ms it has not handed over yet: a player that must be heard
  to its last sample appends ~150 ms of silence. A continuously playing unit is not affected.
* WirePlumber's default config exits at once without a D-Bus session bus ("Cannot autolaunch
  D-Bus without X11 $DISPLAY" then "disconnected from pipewire"): its portal, ALSA-reserve and
  bluez pieces want D-Bus. Drop-ins in a private XDG_CONFIG_HOME switch off those pieces (and
  the ALSA/V4L2/libcamera monitors, so a machine *with* a sound card still has only the null
  sink as default), so no dbus-daemon is started and a developer's session bus is never used.
* A WirePlumber restarted against a PipeWire that outlived the previous one leaves streams
  unlinked ("pending linkable(s) not activated"): always restart the pair together.
* ``pw-record`` writes WAV unless the file name ends in ``.raw``; it is given ``-`` (raw on
  stdout) and its stdout is the capture file, so any name works. It must be linked to the
  sink's *monitor*: ``stream.capture.sink = true``. It exits with status 1 on SIGINT.
* libpulse writes a cookie under ``~/.config/pulse`` unless ``PULSE_COOKIE`` names a file, and
  could autospawn a real PulseAudio where one is installed: both are pointed into the
  temporary directory (``autospawn = no``).
* PipeWire runs as root here without complaint; its socket lives in a private 0700
  XDG_RUNTIME_DIR (the pulse socket path must stay under 108 bytes, hence a short /tmp dir).
* PortAudio prints JACK connection noise on stderr ("jack server is not running"): harmless.
* Daemons get ``setpriv --pdeathsig TERM`` so they die with the thread that started them even
  if this process is SIGKILLed; start the stack from a thread that outlives its use.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from device.audio.pcm import CAR_PCM

SINK_NAME = "drivetime-paced-sink"
ALSA_PULSE_CONF = Path(__file__).with_name("asound_pulse.conf")
APT_PACKAGES = "pipewire pipewire-bin wireplumber libasound2-plugins"
_BINARIES = ("pipewire", "wireplumber", "pw-record", "pw-metadata")
_MAX_SOCKET_PATH_BYTES = 100  # sockaddr_un.sun_path is 108 bytes including the NUL

_PIPEWIRE_CONF = """
context.properties = {
    core.daemon = true
    core.name = pipewire-0
    default.clock.rate = 48000
    default.clock.allowed-rates = [ 48000 ]
    default.clock.quantum = 1024
    default.clock.min-quantum = 16
    default.clock.max-quantum = 2048
    link.max-buffers = 16
    log.level = 2
}
context.spa-libs = {
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-rt, args = { nice.level = -11 }, flags = [ ifexists nofail ] }
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-spa-node-factory }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-client-device }
    { name = libpipewire-module-access }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
    { name = libpipewire-module-session-manager }
    # The PulseAudio server inside this daemon (what the pipewire-pulse binary would run).
    { name = libpipewire-module-protocol-pulse, args = { server.address = [ "unix:native" ] } }
]
context.objects = [
    # The clock: a timer, so the graph runs in real time with no hardware.
    { factory = spa-node-factory
      args = { factory.name = support.node.driver, node.name = Dummy-Driver,
               node.group = pipewire.dummy, priority.driver = 20000 } }
    { factory = adapter
      args = { factory.name = support.null-audio-sink, node.name = "@SINK@",
               node.description = "Drivetime paced test sink", media.class = Audio/Sink,
               audio.position = [ FL FR ], audio.rate = 48000, object.linger = true,
               monitor.channel-volumes = true, session.suspend-timeout-seconds = 0 } }
]
""".replace("@SINK@", SINK_NAME)

_WIREPLUMBER_MAIN_LUA = """
-- Drivetime tests: no hardware monitors, nothing needing D-Bus, no saved volumes.
alsa_monitor.enabled = false
v4l2_monitor.enabled = false
libcamera_monitor.enabled = false
default_access.properties["enable-flatpak-portal"] = false
stream_defaults.enabled = false
"""
_WIREPLUMBER_BLUETOOTH_LUA = "bluez_monitor.enabled = false\n"


class PacedSinkError(RuntimeError):
    """The PipeWire stack is missing, did not start, or a capture did not start."""


class Capture:
    """One recording of the sink's monitor (raw s16le 48 kHz stereo) into ``path``."""

    def __init__(self, path: Path, process: subprocess.Popen[bytes], tail_ms: float) -> None:
        self.path = path
        self.first_frame_monotonic = 0.0
        """Estimated ``time.monotonic()`` of the first captured frame (± one ~21 ms quantum)."""
        self._process = process
        self._tail_ms = tail_ms

    def time_of_frame(self, frame_index: int) -> float:
        """The ``time.monotonic()`` at which captured frame ``frame_index`` was played."""
        return self.first_frame_monotonic + frame_index / CAR_PCM.rate

    def frame_at(self, monotonic_s: float) -> int:
        """The captured frame being played at ``monotonic_s`` (may be < 0 or past the end)."""
        return round((monotonic_s - self.first_frame_monotonic) * CAR_PCM.rate)

    def pcm(self) -> bytes:
        return self.path.read_bytes()

    def _wait_for_audio(self, timeout_s: float) -> None:
        # The file grows only once WirePlumber has linked the recorder and the graph runs.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            size_bytes = self.path.stat().st_size
            if size_bytes > 0:
                now = time.monotonic()
                captured_frames = size_bytes // CAR_PCM.bytes_per_frame
                self.first_frame_monotonic = now - captured_frames / CAR_PCM.rate
                return
            if self._process.poll() is not None:
                raise PacedSinkError(f"pw-record exited with status {self._process.returncode}")
            time.sleep(0.002)
        self.stop(tail_ms=0)
        raise PacedSinkError(f"pw-record recorded nothing within {timeout_s} s")

    def stop(self, tail_ms: float | None = None) -> None:
        """Stop recording after ``tail_ms`` more (audio already played reaches the monitor
        within one quantum, so the default 100 ms keeps the last sound)."""
        if self._process.poll() is not None:
            return
        time.sleep((self._tail_ms if tail_ms is None else tail_ms) / 1000)
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class PacedSink:
    """A private PipeWire + WirePlumber with one null sink; see the module docstring."""

    def __init__(self) -> None:
        self.startup_s = 0.0
        self._tmp: Path | None = None
        self._daemons: list[subprocess.Popen[bytes]] = []
        self._captures: list[Capture] = []
        self._daemon_env: dict[str, str] = {}
        self.env_overrides: dict[str, str] = {}

    @property
    def env(self) -> dict[str, str]:
        """This process's environment with ``env_overrides`` applied, for child processes."""
        return {**os.environ, **self.env_overrides}

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._daemons] + [c._process.pid for c in self._captures]

    def start(self, timeout_s: float = 5.0) -> PacedSink:
        """Start the stack; returns once the null sink is PipeWire's default sink."""
        started = time.monotonic()
        _require_installed()
        self._tmp = Path(tempfile.mkdtemp(prefix="drivetime-pw-"))
        atexit.register(self.stop)
        try:
            self._write_config()
            self._start_daemons(deadline=started + timeout_s)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Kill every process of the stack (captures included) and remove its files."""
        atexit.unregister(self.stop)
        if self._daemons:
            _kill_group(self._daemons[0].pid, self._daemons + [c._process for c in self._captures])
        self._daemons.clear()
        self._captures.clear()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> PacedSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start_capture(
        self, path: Path, *, tail_ms: float = 100.0, timeout_s: float = 3.0
    ) -> Capture:
        """Start recording the sink's monitor to ``path``; returns once audio (silence at
        first) is being written, so nothing played after this call is missed."""
        if not self._daemons:
            raise PacedSinkError("the paced sink is not running (call start() first)")
        with open(path, "wb") as out:  # the child keeps its own descriptor
            process = subprocess.Popen(
                ["pw-record", "--target", SINK_NAME, "-P", "{ stream.capture.sink = true }",
                 "--latency", "20ms", "--format", "s16", "--rate", str(CAR_PCM.rate),
                 "--channels", str(CAR_PCM.channels), "-"],
                stdout=out, stderr=subprocess.DEVNULL, env=self._daemon_env,
                process_group=self._daemons[0].pid,
            )  # fmt: skip
        capture = Capture(Path(path), process, tail_ms)
        self._captures.append(capture)
        capture._wait_for_audio(timeout_s)
        return capture

    @contextlib.contextmanager
    def capture(self, path: Path, *, tail_ms: float = 100.0) -> Iterator[Capture]:
        """Record the sink's monitor to ``path`` for the duration of the ``with`` block."""
        capture = self.start_capture(path, tail_ms=tail_ms)
        try:
            yield capture
        finally:
            capture.stop()

    def _write_config(self) -> None:
        assert self._tmp is not None
        runtime_dir = self._tmp / "run"
        config_dir = self._tmp / "config"
        runtime_dir.mkdir(mode=0o700)
        pulse_socket = runtime_dir / "pulse" / "native"
        if len(os.fsencode(pulse_socket)) > _MAX_SOCKET_PATH_BYTES:
            raise PacedSinkError(f"socket path too long for AF_UNIX: {pulse_socket} (set TMPDIR)")
        (self._tmp / "pipewire.conf").write_text(_PIPEWIRE_CONF)
        for name, text in (
            ("main", _WIREPLUMBER_MAIN_LUA),
            ("bluetooth", _WIREPLUMBER_BLUETOOTH_LUA),
        ):
            lua_dir = config_dir / "wireplumber" / f"{name}.lua.d"
            lua_dir.mkdir(parents=True)
            (lua_dir / "60-drivetime-tests.lua").write_text(text)
        (self._tmp / "pulse-client.conf").write_text("autospawn = no\n")
        self._daemon_env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DBUS_SESSION_BUS_ADDRESS", "PIPEWIRE_REMOTE", "PULSE_SERVER")
        }
        self._daemon_env |= {
            "XDG_RUNTIME_DIR": str(runtime_dir),
            "XDG_CONFIG_HOME": str(config_dir),
            "XDG_STATE_HOME": str(self._tmp / "state"),
        }
        self.env_overrides = {
            "ALSA_CONFIG_PATH": str(ALSA_PULSE_CONF),
            "PULSE_SERVER": f"unix:{pulse_socket}",
            "PULSE_COOKIE": str(self._tmp / "pulse-cookie"),
            "PULSE_CLIENTCONFIG": str(self._tmp / "pulse-client.conf"),
        }

    def _start_daemons(self, deadline: float) -> None:
        assert self._tmp is not None
        runtime_dir = Path(self._daemon_env["XDG_RUNTIME_DIR"])
        pipewire = self._spawn(["pipewire", "-c", str(self._tmp / "pipewire.conf")], "pipewire")
        self._wait_until(lambda: (runtime_dir / "pipewire-0").exists(), deadline, "pipewire")
        self._spawn(["wireplumber"], "wireplumber", process_group=pipewire.pid)
        self._wait_until(self._default_sink_is_ours, deadline, "wireplumber")
        self._wait_until(lambda: (runtime_dir / "pulse" / "native").exists(), deadline, "pulse")

    def _spawn(
        self, command: list[str], name: str, process_group: int | None = None
    ) -> subprocess.Popen[bytes]:
        assert self._tmp is not None
        if shutil.which("setpriv"):  # the daemon dies with us even if we are SIGKILLed
            command = ["setpriv", "--pdeathsig", "TERM", *command]
        with open(self._tmp / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=self._daemon_env,
                process_group=0 if process_group is None else process_group,
            )  # fmt: skip
        self._daemons.append(process)
        return process

    def _default_sink_is_ours(self) -> bool:
        result = subprocess.run(
            ["pw-metadata", "-n", "default", "0", "default.audio.sink"],
            capture_output=True, env=self._daemon_env, timeout=2, check=False,
        )  # fmt: skip
        return f'"name":"{SINK_NAME}"' in result.stdout.decode(errors="replace")

    def _wait_until(self, ready: Callable[[], bool], deadline: float, what: str) -> None:
        assert self._tmp is not None
        while not ready():
            dead = [p for p in self._daemons if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = "".join(
                    f"\n--- {log.name}:\n{log.read_text(errors='replace')[-2000:]}"
                    for log in sorted(self._tmp.glob("*.log"))
                )
                reason = f"exited with {dead[0].returncode}" if dead else "timed out"
                raise PacedSinkError(f"paced sink: waiting for {what}: {reason}{logs}")
            time.sleep(0.01)


def _require_installed() -> None:
    missing = [name for name in _BINARIES if shutil.which(name) is None]
    pulse_plugin = glob.glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so") + glob.glob(
        "/usr/lib/alsa-lib/libasound_module_pcm_pulse.so"
    )
    if not pulse_plugin:
        missing.append("ALSA pulse plugin")
    if missing:
        raise PacedSinkError(
            f"paced sink needs {', '.join(missing)}: apt-get install {APT_PACKAGES}"
        )


def _kill_group(group_id: int, processes: list[subprocess.Popen[bytes]]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group_id, sig)
        deadline = time.monotonic() + 2.0
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
        if all(process.poll() is not None for process in processes):
            return


@pytest.fixture(scope="session", name="paced_sink")
def paced_sink_fixture() -> Iterator[PacedSink]:
    """Fixture ``paced_sink``: one paced sink for the whole session; fails (not skips) if it
    cannot start. Import ``paced_sink_fixture`` into a test module or conftest to use it (the
    different name keeps ruff's F811 quiet about the test's ``paced_sink`` argument)."""
    sink = PacedSink()
    try:
        sink.start()
    except PacedSinkError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield sink
    finally:
        sink.stop()
