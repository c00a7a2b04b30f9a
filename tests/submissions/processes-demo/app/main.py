import os
import sys

from fastapi import FastAPI

PRELOADED = "wave" in sys.modules  # imported by the spare process (the manifest's preload), not by this app

app = FastAPI()


@app.get("/name")
def name():
    return os.environ["NAME"]


@app.get("/pid")
def pid():
    return os.getpid()


@app.get("/started")
def started():
    """How this process started: ahead of need (a spare), with which environment and stdin."""
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    return {"preloaded": PRELOADED, "env": sorted(os.environ), "stdin": os.readlink("/proc/self/fd/0"), "fds": fds}
