"""A bare FastAPI app that serves fixed JSON bodies from memory: the ceiling riskreg is compared to.

`RISKREG_BENCH_BODIES` names a JSON file `{path: body}` captured once from the real server; each
path gets a sync `def` route (as riskreg's routes are) returning its body as a dict.
"""

import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI


def create_app() -> FastAPI:
    bodies: dict[str, dict[str, Any]] = json.loads(Path(os.environ["RISKREG_BENCH_BODIES"]).read_text())
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    for path, body in bodies.items():
        app.add_api_route(path, _serve(body), methods=["GET"])
    return app


def _serve(body: dict[str, Any]) -> Any:
    def page() -> dict[str, Any]:
        return body

    return page
