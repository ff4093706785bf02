"""The node's HTTP API (FastAPI): ``create_app(ctx)`` serves a store and optional p2p/chain views.

Layout: ``_app`` the routes; ``_communities`` the community routes; ``_routing`` what route
modules share (the context dependency, where work runs, parameter types, OpenAPI links); ``_models`` the JSON shapes (the OpenAPI schema), with
``_wire`` the signed message's, generated from the message type table; ``_errors`` the one
mapping from domain errors to HTTP statuses, and from it each operation's declared error
answers; ``_methods`` which methods a path has (405 with ``Allow``); ``_body`` the limits on
request bodies; ``_stream`` the live fan-out; ``_web`` the web app's and ``/docs``' files;
``_metrics`` Prometheus; ``_context`` what the API serves from. ``docs/api.md`` says what the OpenAPI document promises.
"""

from ._app import create_app, hot_reads
from ._context import ApiContext, ChainView, P2PView
from ._hot import HotRoutes
from ._metrics import request_metrics
from ._routing import READ_BUDGET_SECONDS
from ._stream import Broadcaster
from ._web import public_rpc_url

__all__ = [
    "READ_BUDGET_SECONDS",
    "ApiContext",
    "Broadcaster",
    "ChainView",
    "HotRoutes",
    "P2PView",
    "create_app",
    "hot_reads",
    "public_rpc_url",
    "request_metrics",
]
