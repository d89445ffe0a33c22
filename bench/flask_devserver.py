"""The source documents' way of serving Flask: `app.run()`, Werkzeug's development server.

`python bench/flask_devserver.py` with PORT (and the service's usual environment).
"""

from __future__ import annotations

import os

from meatyapis_flask.app import create_app

if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(os.environ["PORT"]), threaded=True)
