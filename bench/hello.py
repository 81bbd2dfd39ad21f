"""The ceiling: the smallest Flask app, served by the same gunicorn settings as Groundswell.

GET /hello says hello; POST /hello reads a small form and redirects (303), as signing does;
GET /rows.csv streams CSV rows of a given width, as the signatures export does.
"""

from flask import Flask, Response, redirect, request

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "Hello, World!"


@app.post("/hello")
def hello_form():
    if not request.form.get("name"):
        return "A name, please.", 422
    return redirect("/hello", code=303)


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
