"""The ceiling: the smallest Flask app, served by the same gunicorn settings as Groundswell."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "Hello, World!"
