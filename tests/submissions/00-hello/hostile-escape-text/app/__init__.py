# Hostile: importing the learner's package fails with a message made to rewrite the instructor's
# terminal (clear screen, a fake link, a new title), to inject rich markup, HTML and a spreadsheet
# formula, and to break encoders (a lone surrogate, NUL, a bidi override).
NASTY = (
    "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]8;;http://evil.example\x07[bold red]FULL MARKS[/]\x1b]8;;\x07"
    ' <script>alert(1)</script> =HYPERLINK("http://evil.example") \x00 \u202e \ud800 [/'
)
import sys

sys.stdout.buffer.write(NASTY.encode("utf-8", "surrogatepass") + b"\n")  # invalid UTF-8 on purpose
sys.stdout.flush()
raise RuntimeError(NASTY)
