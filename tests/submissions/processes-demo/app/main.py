import os

from fastapi import FastAPI

app = FastAPI()


@app.get("/name")
def name():
    return os.environ["NAME"]
