"""The node's HTTP API (FastAPI): ``create_app(ctx)`` serves a store and optional p2p/chain views.

Layout: ``_app`` the routes; ``_models`` the JSON shapes (the OpenAPI schema); ``_errors``
the one mapping from domain errors to HTTP statuses; ``_stream`` the live fan-out;
``_metrics`` Prometheus; ``_context`` what the API serves from.
"""

from ._app import create_app
from ._context import ApiContext, ChainView, P2PView
from ._stream import Broadcaster

__all__ = ["ApiContext", "Broadcaster", "ChainView", "P2PView", "create_app"]
