"""Text that learner code can influence, made inert before anyone sees it.

Messages, output tails and app responses quoted in messages come from the sandbox. ``inert``
turns them into plain printable text once, when records become ``Results``: no terminal escape
sequences, no control characters but newline and tab, no bidirectional overrides that reorder
what a reader sees, no lone surrogates that break encoders. Each output then escapes for its own
format (rich ``Text`` in the terminal, XML escaping in JUnit, ``html.escape`` in feedback,
``spreadsheet_cell`` in CSV).
"""

from __future__ import annotations

import re

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|[@-Z\\-_])"  # two-character sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 and C1 controls (not \t, \n)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides
    "\ud800-\udfff]"  # lone surrogates (a paired one is a single code point in a str)
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """``text`` without escape sequences or characters that change how other text is shown."""
    return _UNPRINTABLE.sub("\N{REPLACEMENT CHARACTER}", _ESCAPE_SEQUENCE.sub("", text))


def spreadsheet_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text
