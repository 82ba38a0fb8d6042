"""The floor for bench/pages.py: a bare Flask "hello" endpoint under the same gunicorn."""

from flask import Flask

app = Flask("hello")


@app.route("/hello")
def hello() -> str:
    return "hello"
