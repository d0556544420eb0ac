"""The results table: metric | drivetime | mpv | ffmpeg | goal | met?, from the raw results.

Every cell is looked up defensively: a section that failed or was not run shows ``—`` (and
its goal ``not run``), so a partial run still prints a table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DASH = "—"
HEADER = ("metric", "drivetime", "mpv", "ffmpeg", "goal", "met?")


def get(data: Any, *path: str | int) -> Any:
    """``data[path[0]][path[1]]…`` or None when any step is missing."""
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _met(value: Any, test: Callable[[Any], bool]) -> str:
    if value is None:
        return "not run"
    return "yes" if test(value) else "**NO**"


def rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    s = results.get("sections", {})
    table: list[tuple[str, ...]] = []

    ttfa, peers = get(s, "ttfa", "engine"), get(s, "ttfa", "processes")
    for q in ("p50", "p95"):
        engine_ms = get(ttfa, "at_output", f"{q}_ms")
        table.append((
            f"time to first audio {q}, ms (drivetime: join in the running engine)",
            _fmt(engine_ms), _fmt(get(peers, "mpv", f"{q}_ms")),
            _fmt(get(peers, "ffmpeg", f"{q}_ms")),
            "≤ 150" if q == "p50" else DASH,
            _met(engine_ms, lambda v: v <= 150) if q == "p50" else DASH,
        ))  # fmt: skip
    table.append((
        "time to first audio p50, ms, fresh process each (start-up included)",
        _fmt(get(peers, "engine_cli", "p50_ms")), _fmt(get(peers, "mpv", "p50_ms")),
        _fmt(get(peers, "ffmpeg", "p50_ms")), DASH, DASH,
    ))  # fmt: skip

    lag = get(s, "lag")
    for q in ("p50", "p95"):
        at_output = get(lag, "drivetime", "markers", f"{q}_ms")
        meter = get(lag, "drivetime", "lag_meter", f"{q}_ms")
        table.append((
            f"live lag behind the source {q}, ms (drivetime: at the output; lag meter)",
            f"{_fmt(at_output)} ({_fmt(meter)})",
            _fmt(get(lag, "mpv", "played", f"{q}_ms")),
            _fmt(get(lag, "ffmpeg", "played", f"{q}_ms")),
            "≤ 400" if q == "p50" else DASH,
            _met(at_output, lambda v: v <= 400) if q == "p50" else DASH,
        ))  # fmt: skip

    res = get(s, "resources")
    cpu = {name: get(res, name, "cpu_s") for name in ("drivetime", "mpv", "ffmpeg")}
    mpv_cpu = cpu["mpv"]
    table.append((
        "CPU time for 60 s of a 96 kb/s stereo room, s, median of 3 rounds (start-up included)",
        _fmt(cpu["drivetime"], 2), _fmt(cpu["mpv"], 2), _fmt(cpu["ffmpeg"], 2), "≤ mpv",
        _met(cpu["drivetime"], lambda v: mpv_cpu is not None and v <= mpv_cpu),
    ))  # fmt: skip
    table.append((
        "CPU time of the first 2 s, s (start-up and first audio), median of 3 rounds",
        *(_fmt(get(res, n, "startup_cpu_s"), 2) for n in ("drivetime", "mpv", "ffmpeg")),
        DASH, DASH,
    ))  # fmt: skip
    table.append((
        "CPU in steady state (10-60 s), % of one core, median of 3 rounds",
        *(_fmt(get(res, n, "steady_cpu_percent"), 1) for n in ("drivetime", "mpv", "ffmpeg")),
        DASH, DASH,
    ))  # fmt: skip
    rss = get(res, "drivetime", "peak_rss_mb")
    table.append((
        "peak RSS (VmHWM), MB",
        _fmt(rss, 1), _fmt(get(res, "mpv", "peak_rss_mb"), 1),
        _fmt(get(res, "ffmpeg", "peak_rss_mb"), 1), "≤ 60", _met(rss, lambda v: v <= 60),
    ))  # fmt: skip

    peer_cells = [_road_peer(get(s, "road", "peers", name)) for name in ("mpv", "ffmpeg")]
    for outage in get(s, "road", "outages") or [{"outage_s": seconds} for seconds in (5, 10, 20)]:
        gap = outage.get("gap_ms")
        table.append((
            f"road mode, 30 s buffer: audible gap for a {outage['outage_s']:g} s outage, ms",
            _fmt(gap), *peer_cells, "0", _met(gap, lambda v: v == 0),
        ))  # fmt: skip

    dec = get(s, "decode")
    renderer_rtf = get(dec, "in_process", "renderer", "rtf")
    table.append((
        "Opus decode speed, demux + decode (renderer path), x real time",
        _fmt(renderer_rtf), DASH, DASH, "≥ 300", _met(renderer_rtf, lambda v: v >= 300),
    ))  # fmt: skip
    table.append((
        "Opus decode speed, decode only, x real time",
        _fmt(get(dec, "in_process", "decode", "rtf")), DASH, DASH, DASH, DASH,
    ))  # fmt: skip
    table.append((
        "Opus decode speed, whole process on the file (start-up included), x real time",
        *(_fmt(get(dec, "processes", n, "rtf")) for n in ("drivetime_cli", "mpv", "ffmpeg")),
        DASH, DASH,
    ))  # fmt: skip
    search = get(s, "catalog", "search")
    search_p95 = get(search, "p95_ms")
    table.append((
        f"search per keystroke p95, ms ({_fmt(get(s, 'catalog', 'rooms'))} rooms, "
        f"{_fmt(get(s, 'catalog', 'tracks'))} tracks; p50 {_fmt(get(search, 'p50_ms'), 1)})",
        _fmt(search_p95, 1), DASH, DASH, "≤ 5", _met(search_p95, lambda v: v <= 5),
    ))  # fmt: skip
    lib = get(s, "library")
    rescan = get(lib, "rescan_unchanged_s", "max")
    table.append((
        f"library rescan of {_fmt(get(lib, 'files'))} unchanged files, s (worst of the rescans)",
        _fmt(rescan, 3), DASH, DASH, "≤ 2", _met(rescan, lambda v: v <= 2),
    ))  # fmt: skip
    table.append((
        "library first scan, files/s (tags read from every file)",
        _fmt(get(lib, "first_scan_files_per_s")), DASH, DASH, DASH, DASH,
    ))  # fmt: skip
    table += _resume_rows(get(s, "resume"))
    refresh = get(s, "refresh")
    table.append((
        f"catalog refresh of {_fmt(get(refresh, 'rooms'))} rooms with now-playing peeks, "
        f"CPU s per minute ({_fmt(get(refresh, 'percent_of_one_core'), 2)} % of one core)",
        _fmt(get(refresh, "cpu_s_per_min"), 3), DASH, DASH, DASH, DASH,
    ))  # fmt: skip
    table += _ble_rows(get(s, "ble"))
    table += _ui_rows(get(s, "ui"))
    table += _panel_rows(get(s, "panel"))
    return table


def _resume_rows(resume: dict[str, Any] | None) -> list[tuple[str, ...]]:
    room, track = get(resume, "room"), get(resume, "track")
    room_p50 = get(room, "p50_ms")
    heard = get(track, "heard_hz_p50")
    expected = get(track, "expected_hz")
    return [
        (
            f"resume at start p50, ms: engine start → first audible block of the last room "
            f"(p95 {_fmt(get(room, 'p95_ms'))}, max {_fmt(get(room, 'max_ms'))})",
            _fmt(room_p50), DASH, DASH, "≤ 1000", _met(room_p50, lambda v: v <= 1000),
        ),
        (
            f"music resume p50, ms: a track saved at {_fmt(get(track, 'resume_at_s'), 0)} s "
            f"(first tone heard {_fmt(heard, 0)} Hz, {_fmt(expected)} Hz = that second)",
            _fmt(get(track, "p50_ms")), DASH, DASH, "starts there",
            _met(get(track, "starts_at_resume_point"), bool),
        ),
    ]  # fmt: skip


def _ble_rows(ble: dict[str, Any] | None) -> list[tuple[str, ...]]:
    controls, relay = get(ble, "controls"), get(ble, "relay")
    trip, status = get(controls, "round_trip"), get(controls, "status")
    p99 = get(trip, "p99_ms")
    identical = get(relay, "identical")
    cpu = get(relay, "cpu_s_per_min")
    return [
        (
            f"phone command → state event round trip p99, ms, virtual radio (p50 "
            f"{_fmt(get(trip, 'p50_ms'), 2)}, max {_fmt(get(trip, 'max_ms'), 2)}; status → reply "
            f"p50 {_fmt(get(status, 'p50_ms'), 2)}, p99 {_fmt(get(status, 'p99_ms'), 2)})",
            _fmt(p99, 2), DASH, DASH, "≤ 5", _met(p99, lambda v: v <= 5),
        ),
        (
            f"phone pairing p50, ms: new phone, connect → paired and ready, virtual radio "
            f"(max {_fmt(get(controls, 'pair', 'max_ms'), 1)})",
            _fmt(get(controls, "pair", "p50_ms"), 1), DASH, DASH, DASH, DASH,
        ),
        (
            f"bonded phone reconnect p50, ms: connect → ready, virtual radio "
            f"(max {_fmt(get(controls, 'reconnect', 'max_ms'), 1)})",
            _fmt(get(controls, "reconnect", "p50_ms"), 1), DASH, DASH, DASH, DASH,
        ),
        (
            f"phone relay of a {_fmt(get(relay, 'file', 'opus_kbps'), 1)} kb/s Opus file, "
            f"kb/s sustained over the air (Ogg pages included)",
            _fmt(get(relay, "kbps_over_the_air"), 1), DASH, DASH, DASH, DASH,
        ),
        (
            f"relay: output identical to the file's direct decode (concealed while relaying "
            f"{_fmt(get(relay, 'concealed_ms_while_relaying'))} ms)",
            _fmt(None if identical is None else ("yes" if identical else "no")), DASH, DASH,
            "identical", _met(identical, bool),
        ),
        (
            "relay CPU s per minute: unit / phone (separate processes)",
            f"{_fmt(get(cpu, 'unit'), 2)} / {_fmt(get(cpu, 'phone'), 2)}", DASH, DASH, DASH, DASH,
        ),
    ]  # fmt: skip


def _panel_rows(panel: dict[str, Any] | None) -> list[tuple[str, ...]]:
    serial, fake = get(panel, "serial"), get(panel, "fake")
    parser, ignition = get(panel, "parser"), get(panel, "ignition")
    event_p95 = get(serial, "p95_ms")
    return [
        (
            f"panel knob frame on the serial line → volume applied p95, ms (p50 "
            f"{_fmt(get(serial, 'p50_ms'), 2)}, max {_fmt(get(serial, 'max_ms'), 2)}; in-process "
            f"fake panel p95 {_fmt(get(fake, 'p95_ms'), 2)})",
            _fmt(event_p95, 2), DASH, DASH, "≤ 10", _met(event_p95, lambda v: v <= 10),
        ),
        (
            f"panel frame parser, frames/s ({_fmt(get(parser, 'mb_per_s'), 2)} MB/s)",
            _fmt(get(parser, "frames_per_s")), DASH, DASH, DASH, DASH,
        ),
        (
            f"false events at bit error rate {get(parser, 'ber')} over "
            f"{_fmt(get(parser, 'ber_frames'))} frames ({_fmt(get(parser, 'bits_flipped'))} bits "
            f"flipped; delivered {_fmt(get(parser, 'delivered_share'), 3)})",
            _fmt(get(parser, "false_events")), DASH, DASH, "0",
            _met(get(parser, "false_events"), lambda v: v == 0),
        ),
        (
            f"ignition off → state saved p50 / audio faded p50, ms (fade "
            f"{_fmt(get(ignition, 'fade_s'), 1)} s; output silent, measured on the samples, p50 "
            f"{_fmt(get(ignition, 'silent_at_output', 'p50_ms'))} ms)",
            f"{_fmt(get(ignition, 'state_saved', 'p50_ms'), 1)} / "
            f"{_fmt(get(ignition, 'faded', 'p50_ms'))}", DASH, DASH, DASH, DASH,
        ),
    ]  # fmt: skip


def _ui_rows(ui: dict[str, Any] | None) -> list[tuple[str, ...]]:
    pressed, volume = get(ui, "tap_pressed"), get(ui, "tap_volume")
    engine, song, start = get(ui, "engine_volume"), get(ui, "engine_song"), get(ui, "start")
    tap_p95 = get(pressed, "frame", "p95_ms")
    event_p95 = get(engine, "frame", "p95_ms")
    return [
        (
            f"touchscreen tap → first frame drawing the button pressed p95, ms, offscreen "
            f"(p50 {_fmt(get(pressed, 'frame', 'p50_ms'), 1)}, max "
            f"{_fmt(get(pressed, 'frame', 'max_ms'), 1)}; rasterised by llvmpipe p95 "
            f"{_fmt(get(pressed, 'pixels', 'p95_ms'), 1)})",
            _fmt(tap_p95, 1), DASH, DASH, "≤ 50", _met(tap_p95, lambda v: v <= 50),
        ),
        (
            f"tap on volume + → first frame showing the engine's new volume p95, ms (p50 "
            f"{_fmt(get(volume, 'frame', 'p50_ms'), 1)}, max "
            f"{_fmt(get(volume, 'frame', 'max_ms'), 1)}; that frame's draw p50 "
            f"{_fmt(get(volume, 'draw', 'p50_ms'), 1)}; rasterised p95 "
            f"{_fmt(get(volume, 'pixels', 'p95_ms'), 1)})",
            _fmt(get(volume, "frame", "p95_ms"), 1), DASH, DASH, DASH, DASH,
        ),
        (
            f"engine event → first frame showing it p95, ms: volume set by the engine (p50 "
            f"{_fmt(get(engine, 'frame', 'p50_ms'), 1)}, max "
            f"{_fmt(get(engine, 'frame', 'max_ms'), 1)}; that frame's draw p50 "
            f"{_fmt(get(engine, 'draw', 'p50_ms'), 1)}; {_fmt(get(song, 'n'))} song "
            f"changes p50 {_fmt(get(song, 'p50_ms'), 1)}, max {_fmt(get(song, 'max_ms'), 1)})",
            _fmt(event_p95, 1), DASH, DASH, "≤ 100", _met(event_p95, lambda v: v <= 100),
        ),
        (
            f"UI start → first frame p50, ms, as the UI logs it (from its import; spawn → "
            f"that log line p50 {_fmt(get(start, 'spawn_to_first_frame', 'p50_ms'))}, max "
            f"{_fmt(get(start, 'spawn_to_first_frame', 'max_ms'))})",
            _fmt(get(start, "first_frame_logged", "p50_ms")), DASH, DASH, DASH, DASH,
        ),
        (
            f"UI process RSS after 10 s connected to a playing engine, MB, worst of "
            f"{_fmt(len(get(start, 'runs') or []) or None)} starts (peak VmHWM "
            f"{_fmt(get(start, 'peak_rss_mb_max'), 1)}; CPU meanwhile p50 "
            f"{_fmt(get(start, 'cpu_percent_connected_p50'), 1)} % of one core)",
            _fmt(get(start, "rss_mb_max"), 1), DASH, DASH, DASH, DASH,
        ),
    ]  # fmt: skip


def _road_peer(peer: dict[str, Any] | None) -> str:
    if not peer:
        return DASH
    return "kept playing" if peer.get("still_playing") else "stops for good"


def markdown_table(results: dict[str, Any]) -> str:
    lines = [_line(HEADER), _line(("---",) * len(HEADER))]
    lines += [_line(row) for row in rows(results)]
    return "\n".join(lines)


def notes(results: dict[str, Any]) -> list[str]:
    s = results.get("sections", {})
    out = []
    opusdec = get(s, "decode", "processes", "opusdec", "rtf")
    if opusdec is not None:
        out.append(f"opusdec --no-dither, whole process: {opusdec:,.0f}x real time")
    floor, demux = (get(s, "decode", "in_process", n, "rtf") for n in ("libopus", "demux"))
    if floor is not None and demux is not None:
        out.append(
            f"decode speed, same rounds: libopus alone (bare ctypes loop) {floor:,.0f}x, "
            f"the engine's Ogg demux alone {demux:,.0f}x real time"
        )
    for outage in get(s, "road", "outages") or []:
        out.append(
            f"road {outage['outage_s']:g} s outage: missed {outage['missed_ms']} ms, depth "
            f"{outage['depth_before_ms']} → lowest {outage['lowest_depth_ms']} → "
            f"{outage['depth_1s_after_reconnect_ms']} ms 1 s after reconnecting "
            f"({outage['reconnect_after_restore_s']} s after the network came back)"
        )
    for name in ("mpv", "ffmpeg"):
        peer = get(s, "road", "peers", name)
        if peer and not peer.get("still_playing"):
            out.append(
                f"road, {name} on the same mount through the same proxy: did not reconnect; "
                f"exited (code {peer['exit_code']}) {peer['exited_after_s']} s after the first drop"
            )
    spacing = get(s, "road", "heard_marker_spacing")
    if spacing:
        out.append(
            f"road session, pilot markers heard: {spacing['exact_1s']}/{spacing['intervals']} "
            f"intervals exactly 1 s, {spacing['lengthened_by_whole_frames']} lengthened by whole "
            f"frames ({spacing['lengthened_total_ms']} ms; the engine counted "
            f"{get(s, 'road', 'stretched_ms_counted')} ms of growth stretches), other "
            f"deviations {spacing['other_deviations'] or 'none'}"
        )
    for kind in ("room", "track"):
        opened = get(s, "resume", kind, "output_opened", "p50_ms")
        if opened is not None:
            out.append(
                f"resume ({kind}): the engine's output was open after p50 {opened:,.0f} ms "
                f"(Python start-up and imports); first audio at p50 "
                f"{get(s, 'resume', kind, 'p50_ms'):,.0f} ms; exit codes on SIGTERM "
                f"{sorted(set(get(s, 'resume', kind, 'exit_codes_on_sigterm') or []), key=str)}"
            )
    refresh = get(s, "refresh")
    if refresh:
        out.append(
            f"catalog refresh: {refresh['cpu_s_per_round']} s CPU per round (median of "
            f"rounds 2-{len(refresh['rounds'])}, worst {refresh['cpu_s_per_round_max']} s; "
            f"the first, which adds the rooms, {refresh['first_round_cpu_s']} s), "
            f"{refresh['wall_s_per_round']} s wall (peeks start 0.1 s apart); rooms with "
            f"now-playing after each round ≥ {refresh['min_rooms_with_now_playing']}/"
            f"{refresh['rooms']}"
        )
    out += _ble_notes(get(s, "ble"))
    out += _ui_notes(get(s, "ui"))
    out += _resources_notes(get(s, "resources"))
    for name, error in results.get("errors", {}).items():
        out.append(f"FAILED {name}: {error.strip().splitlines()[-1]}")
    return out


def _resources_notes(res: dict[str, Any] | None) -> list[str]:
    if not res or "rounds" not in res:
        return []
    rounds = ", ".join(
        f"{name} {' / '.join(f'{v:.2f}' for v in res[name]['cpu_s_rounds'])}"
        for name in ("drivetime", "mpv", "ffmpeg")
    )
    busy = " / ".join(f"{v}%" for v in res["machine_busy_percent_of_all_cores"])
    return [
        f"CPU/RSS: {res['rounds']} rounds of 60 s, the three players concurrently in each "
        f"(machine busy {busy}); CPU s per round: {rounds}; drivetime ≤ mpv in "
        f"{res['drivetime_at_most_mpv_rounds']} of {res['rounds']} rounds"
    ]


def _ble_notes(ble: dict[str, Any] | None) -> list[str]:
    if not ble:
        return []
    out = []
    controls, relay = get(ble, "controls"), get(ble, "relay")
    if controls:
        out.append(
            f"ble: virtual radio, Python overhead only (a real radio adds its 15-50 ms "
            f"connection interval per exchange); {controls['round_trip']['n']} volume commands "
            f"{controls['command_gap_ms']:g} ms apart, {controls['round_trip']['events_missing']} "
            f"events missing; pairing = connect p50 {controls['pair']['connect']['p50_ms']} ms "
            f"(scan included) + pairing p50 {controls['pair']['pairing']['p50_ms']} ms, the "
            f"driver's yes instant"
        )
    if relay:
        out.append(
            f"ble relay: {relay['frames_sent']} frames, {relay['bytes_sent']:,} bytes in "
            f"{relay['relay_wall_s']} s; file {relay['file']['made_by']}; unit CPU includes the "
            f"phone's virtual controller (in the unit's process)"
        )
    return out


def _ui_notes(ui: dict[str, Any] | None) -> list[str]:
    if not ui or "tap_pressed" not in ui:
        return []
    series = {n: ui[n] for n in ("tap_pressed", "tap_volume", "engine_volume")}
    after = "; ".join(f"{n} {s['frames_after']}" for n, s in series.items())
    until = "; ".join(f"{n} {s['frames_until_pixels']}" for n, s in series.items())
    return [
        f"ui: {ui['window'][0]}x{ui['window'][1]} offscreen on {ui['renderer']}, maxfps "
        f"{ui['maxfps']}, {ui['theme']} theme; frame = the on_flip of the first frame drawing "
        f"the change; draw = its on_draw → on_flip (a frame with new text waits there for "
        f"llvmpipe to rasterise the frame before); rasterised = after reading its pixels back "
        f"(see docs/performance.md)",
        f"ui: frames drawn from the action to that frame: {after}",
        f"ui: further frames until the pixels showed it (0 = that very frame): {until}; "
        f"song changes never shown: {ui['engine_song']['missed']}",
    ]


def _line(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"
