import argparse
import signal
import sys
import time

stopping = False


def stop(signum, frame):
    global stopping
    stopping = True


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--greeting")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop)
    print(args.greeting, flush=True)
    while not stopping:
        time.sleep(0.05)
    print("stopping", flush=True)
    sys.exit(0)
