"""The phone app's colours: a light Material-like palette (one place; kv files import it)."""

COLORS = {
    "background": (0.97, 0.97, 0.98, 1),
    "bar": (0.88, 0.90, 0.93, 1),
    "text": (0.06, 0.08, 0.10, 1),
    "muted": (0.30, 0.35, 0.40, 1),
    "control": (0.90, 0.92, 0.95, 1),
    "pressed": (0.78, 0.82, 0.88, 1),
    "accent": (0.04, 0.34, 0.82, 1),
    "on_accent": (1, 1, 1, 1),
    "notice": (0.98, 0.91, 0.63, 1),
}
