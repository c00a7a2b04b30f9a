# Hostile: whenever the learner's package is imported, try to reach the grader's own processes:
# signal them, ptrace them, read their environment, raise their OOM priority (so the kernel kills
# the test runner instead), lower its own below theirs, and write into the results folder. If
# any of it works, the package refuses to import (every test then fails, with what escaped);
# when the sandbox holds, this is the model answer and scores full marks.
import ctypes
import os
import signal

escaped = []
me = os.getuid()
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    pid = int(entry)
    try:
        if os.stat(f"/proc/{pid}").st_uid == me:
            continue
    except OSError:
        continue
    try:
        os.kill(pid, signal.SIGSTOP)
        escaped.append(f"stopped pid {pid}")
        os.kill(pid, signal.SIGCONT)
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/oom_score_adj", "w") as f:
            f.write("1000")
        escaped.append(f"raised the OOM priority of pid {pid}")
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            f.read()
        escaped.append(f"read the environment of pid {pid}")
    except OSError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
        escaped.append(f"attached to pid {pid}")
        libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
try:
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("-1")
    escaped.append("lowered its own OOM priority below the grader's")
except OSError:
    pass
for folder in ("/opt/grader/results", "/opt/grader", "/submission"):
    try:
        with open(f"{folder}/records.jsonl", "a") as f:
            f.write('{"nodeid": "forged", "outcome": "passed"}\n')
        escaped.append(f"wrote into {folder}")
    except OSError:
        pass
if escaped:
    raise RuntimeError("ESCAPED: " + "; ".join(escaped))
