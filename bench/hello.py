"""The floor: a hello-world Flask app, served by `make bench` with the portal's exact gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
