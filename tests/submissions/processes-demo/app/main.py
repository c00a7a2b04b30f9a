import os

from fastapi import FastAPI

app = FastAPI()


@app.get("/name")
def name():
    return os.environ["NAME"]


@app.get("/pid")
def pid():
    return os.getpid()
