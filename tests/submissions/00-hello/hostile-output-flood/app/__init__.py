# Hostile: every process that imports the learner's package (the app, each function call) first
# prints 64 MB to stdout and to stderr. Then the code is the model answer's: nothing else is wrong.
import sys

_CHUNK = "flood " * 10_000 + "\n"
for _ in range(64 * 2**20 // len(_CHUNK) // 2):
    sys.stdout.write(_CHUNK)
    sys.stderr.write(_CHUNK)
sys.stdout.flush()
