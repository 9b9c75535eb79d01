"""The Flask application factory.

Heavy or shared things are built once per app and hung on
`app.extensions["peerscope"]`: the OpenSearch client, the Redis connection,
the RQ queue and the query embedder (whose model loads on first use, so
requests that need no vector, and the tests, never pay for it). Nothing
connects at import or construction time.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from redis import Redis
from rq import Queue

from embeddings import QueryEmbedder
from peerscope.config import Settings, load_settings
from search.engine import Engine, connect


@dataclass(frozen=True)
class Services:
    settings: Settings
    opensearch: Engine
    redis: Redis
    queue: Queue
    embed: Callable[[str], list[float]]


def create_app(settings: Settings | None = None, *,
               embed: Callable[[str], list[float]] | None = None) -> Flask:
    """Build the app. `embed` replaces the model-backed query embedder (tests, tools)."""
    from web import api, errors, pages, security  # imported here so `import web` stays cheap
    from web.jsonio import OrjsonProvider

    settings = security.served_settings(settings or load_settings())
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key)
    app.json = OrjsonProvider(app)  # orjson writes the answers (web/jsonio.py); keys keep their order
    # Bounded waits: a frozen Redis must not hold a web thread (follows, claims, invitations).
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    app.extensions["peerscope"] = Services(
        settings=settings,
        opensearch=connect(settings, web=True),
        redis=redis,
        queue=Queue(settings.queue_name, connection=redis),
        embed=embed or QueryEmbedder(settings),
    )
    errors.register(app)
    security.init_app(app)  # headers, body size cap, API rate limit, no debug
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    # accounts: sign-in, claims, following, invitations (blueprint, CSRF, session settings)
    from web.accounts import init_app as init_accounts
    init_accounts(app)
    from web import answers
    answers.init_app(app)  # last: kept answers are looked up after the size cap, the rate limit and the session
    return app
