"""The ceiling of the export benchmark: a hello-world Flask app that streams CSV rows and does nothing else.

Served with the same gunicorn settings as Groundswell, it says how fast rows can go out of this
machine at all; the export's figure is printed beside it.
"""

from flask import Flask, Response, request

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"


@app.get("/rows.csv")
def rows():
    count = request.args.get("rows", 1000, type=int)
    width = request.args.get("width", 150, type=int)
    row = '"' + "x" * max(1, width - 4) + '"\r\n'
    batch = row * 1000

    def generate():
        for _ in range(count // 1000):
            yield batch
        yield row * (count % 1000)

    return Response(generate(), mimetype="text/csv")
