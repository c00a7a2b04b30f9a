import os


def env(name):
    return os.environ.get(name)
