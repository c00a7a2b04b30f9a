import os
import sys

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    os._exit(0)


@app.post("/quotes")
def create_quote():
    sys.exit(0)
