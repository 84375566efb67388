"""Text from result files made safe to show: bidirectional control characters (which can
make a line read differently from what it holds, e.g. U+202E RIGHT-TO-LEFT OVERRIDE) become
visible escapes (``\\u202e``); for a terminal, other control characters too."""
import re
from html import escape

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
# C0/C1 controls but tab and newline (ANSI escapes, carriage returns, ...), and the bidi controls.
_TERMINAL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


def _escape(match):
    return f"\\u{ord(match.group()):04x}"


def neutral(text):
    """``text`` with each bidi control character as its visible escape."""
    return _BIDI.sub(_escape, text)


def e(value):
    """Any value as HTML text or a quoted attribute: escaped, bidi controls neutralised."""
    return escape(neutral("" if value is None else str(value)), quote=True)


def terminal(value):
    """Any value as text for a terminal: control and bidi characters as visible escapes."""
    return _TERMINAL.sub(_escape, "" if value is None else str(value))
