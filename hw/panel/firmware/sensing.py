"""The car's side of the panel: ignition sense and ambient light.

Ignition comes through an opto-isolator from the 12 V ignition line. Cranking the engine
drops that line for a moment (the starter motor pulls the battery down), so the level must
hold IGNITION_STABLE_MS before it counts; the unit would otherwise begin a safe shutdown on
every start. It is reported once it is known after boot, then on each change.

Light is a photoresistor divider on an ADC. A single reading jumps with streetlights and
shadows, so it is averaged over LIGHT_WINDOW samples taken every LIGHT_SAMPLE_MS, and
reported when the average moves more than LIGHT_CHANGE_PERMILLE from the last report, or
every LIGHT_REFRESH_MS so a unit that missed one learns it soon.
"""

try:
    from hw.panel.firmware import ticks
    from hw.panel.firmware.buttons import Debouncer
except ImportError:  # on the board the firmware's files lie flat in its root folder
    import ticks
    from buttons import Debouncer

IGNITION_STABLE_MS = 500
# The ignition is also said again this often: an "off" sent while the unit was not listening
# (booting, restarting) and given up on must still reach it, or it never shuts down.
IGNITION_REPORT_MS = 5000
LIGHT_SAMPLE_MS = 100
LIGHT_WINDOW = 8  # samples averaged: 0.8 s
LIGHT_CHANGE_PERMILLE = 50  # 5 % of full scale
LIGHT_REFRESH_MS = 10000
ADC_FULL_SCALE = 65535  # machine.ADC.read_u16()


class Ignition:
    """Fed ``on`` (1 or 0) samples; reports the debounced state when it becomes known or changes."""

    def __init__(self):
        self._debouncer = Debouncer(None, IGNITION_STABLE_MS)

    def update(self, on, now_ms):
        """1 or 0 when the ignition state is new with this sample, else None."""
        if self._debouncer.update(on, now_ms):
            return self._debouncer.level
        return None

    @property
    def level(self):
        """The debounced state, 1 or 0; None until it has been stable once."""
        return self._debouncer.level


class Light:
    """Fed raw ADC readings (0-65535, brighter higher); reports permille of full scale."""

    def __init__(self):
        self._samples = [0] * LIGHT_WINDOW
        self._count = 0  # samples taken, up to LIGHT_WINDOW
        self._total = 0
        self._next_sample_at = None
        self._reported = None
        self._reported_at = 0

    def update(self, raw, now_ms):
        """The averaged light in permille when it is due to be reported, else None."""
        due_at = self._next_sample_at
        if due_at is not None and ticks.ticks_diff(now_ms, due_at) < 0:
            return None
        self._next_sample_at = ticks.ticks_add(now_ms, LIGHT_SAMPLE_MS)
        slot = self._count % LIGHT_WINDOW
        self._total += raw - self._samples[slot]
        self._samples[slot] = raw
        self._count += 1
        if self._count < LIGHT_WINDOW:
            return None
        if self._count >= 2 * LIGHT_WINDOW:
            self._count -= LIGHT_WINDOW  # keeps the slot arithmetic, never grows
        permille = self._permille()
        due = self._reported is None
        due = due or abs(permille - self._reported) > LIGHT_CHANGE_PERMILLE
        due = due or ticks.ticks_diff(now_ms, self._reported_at) >= LIGHT_REFRESH_MS
        if not due:
            return None
        self._reported = permille
        self._reported_at = now_ms
        return permille

    def _permille(self):
        scale = LIGHT_WINDOW * ADC_FULL_SCALE
        return (self._total * 1000 + scale // 2) // scale
