"""The `peerscope` command: local services, indexing, serving, workers, evaluation."""
from __future__ import annotations

import sys

import click

from peerscope import cluster, node, redis_server
from peerscope.config import load_settings
from peerscope.proc import ServiceError


def _run(action, *args, **kwargs) -> None:
    """Run a service action; a ServiceError becomes a clear message and exit code 1."""
    try:
        click.echo(action(*args, **kwargs))
    except ServiceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@click.group()
def main() -> None:
    """Peerscope: search-first discovery of researchers and their work."""


# ---------------------------------------------------------------- services

@main.group("node")
def node_group() -> None:
    """The local OpenSearch: one node, or a cluster of several with --nodes (on 127.0.0.1,
    from Maven Central artifacts)."""


def _node_count(nodes: int | None) -> int:
    """--nodes, else as many nodes as PEERSCOPE_OPENSEARCH_URL lists."""
    return nodes if nodes is not None else max(1, len(load_settings().opensearch_hosts))


_nodes_option = click.option("--nodes", type=int, default=None,
                             help="Nodes of a local cluster (default: as many as PEERSCOPE_OPENSEARCH_URL lists; "
                                  "1 is the single node).")
_only_option = click.option("--only", type=int, default=None, help="Only this node of the cluster (1, 2, ...).")


@node_group.command("start")
@click.option("--timeout", default=180, show_default=True, help="Seconds to wait for yellow health.")
@_nodes_option
@_only_option
def node_start(timeout: int, nodes: int | None, only: int | None) -> None:
    count = _node_count(nodes)
    if count > 1:
        _run(cluster.start, load_settings(), count, timeout=timeout, only=only)
    else:
        _run(node.start, load_settings(), timeout=timeout)


@node_group.command("stop")
@_nodes_option
@_only_option
def node_stop(nodes: int | None, only: int | None) -> None:
    if _node_count(nodes) > 1:
        _run(cluster.stop, load_settings(), only=only)
    else:
        _run(node.stop, load_settings())


@node_group.command("status")
@_nodes_option
def node_status(nodes: int | None) -> None:
    _run(cluster.status if _node_count(nodes) > 1 else node.status, load_settings())


@main.group("redis")
def redis_group() -> None:
    """The project-local Redis (used when PEERSCOPE_REDIS_URL is not set)."""


@redis_group.command("start")
def redis_start() -> None:
    _run(redis_server.start, load_settings())


@redis_group.command("stop")
def redis_stop() -> None:
    _run(redis_server.stop, load_settings())


@redis_group.command("status")
def redis_status() -> None:
    _run(redis_server.status, load_settings())


@main.command("up")
def up() -> None:
    """Start Redis and the OpenSearch node (idempotent)."""
    settings = load_settings()
    _run(lambda: "redis: " + redis_server.start(settings))
    if len(settings.opensearch_hosts) > 1:
        _run(lambda: "opensearch: " + cluster.start(settings, len(settings.opensearch_hosts)))
    else:
        _run(lambda: "opensearch: " + node.start(settings))


@main.command("down")
def down() -> None:
    """Stop what `up` started."""
    settings = load_settings()
    engine = cluster if len(settings.opensearch_hosts) > 1 else node
    _run(lambda: "opensearch: " + engine.stop(settings))
    if not settings.redis_url_given:
        _run(lambda: "redis: " + redis_server.stop(settings))


# ---------------------------------------------------------------- serving

@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int,
              help="Threads per worker process; 1 runs gunicorn's sync worker.")
@click.option("--beside-worker", is_flag=True, hidden=True, help="Started by `peerscope run` next to a worker.")
def serve(host: str, port: int, workers: int, threads: int, beside_worker: bool) -> None:
    """Serve the web app with gunicorn (a production WSGI server, never Flask's debug server).

    Its workers answer the requests gunicorn refuses itself (request line or headers too
    long, malformed requests) with the API's JSON error (web/serving.py)."""
    from gunicorn.app.wsgiapp import run

    from web.serving import MAX_REQUEST_LINE

    click.echo(f"Peerscope is serving at http://{host}:{port}/" + (
        "" if beside_worker else " (the web app only: what pages queue waits for `peerscope worker`; "
                                 "`peerscope run` starts both)"), err=True)
    sys.argv = ["gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
                "--worker-class", "web.serving.ThreadWorker" if threads > 1 else "web.serving.SyncWorker",
                "--threads", str(threads), "--timeout", "30", "--limit-request-line", str(MAX_REQUEST_LINE),
                "--access-logfile", "-", "web:create_app()"]
    run()


# A job whose worker died (killed, machine lost) is found by another worker's maintenance once
# its heartbeat expired (RQ: 90 s) and retried; the scheduler each worker may run puts the retry
# back on the queue. Maintenance every minute and a blocking wait of 75 s (RQ's defaults: 10 min
# and 405 s) bound that to about three minutes instead of up to seventeen.
WORKER_TTL_S = 90
WORKER_MAINTENANCE_S = 60


@main.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on the project's queue (any number of them, on any machine that shares
    Redis and the data and spool paths). It runs RQ's scheduler too, and makes sure the hourly
    tick of the digests of new works is scheduled."""
    from redis import Redis
    from rq import Queue, Worker

    from web.accounts import digests

    settings = load_settings()
    conn = Redis.from_url(settings.redis_url)
    queue = Queue(settings.queue_name, connection=conn)
    if not burst:
        digests.schedule(queue, settings.index_prefix)
    Worker([queue], connection=conn, worker_ttl=WORKER_TTL_S,
           maintenance_interval=WORKER_MAINTENANCE_S).work(burst=burst, with_scheduler=True)


def _self(*args: str) -> list[str]:
    """This command line again (the same Python and checkout), with other arguments."""
    return [sys.executable, "-c", "import sys; from peerscope.cli import main; sys.exit(main())", *args]


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
@click.option("--threads", default=4, show_default=True, type=int)
def run_all(host: str, port: int, workers: int, threads: int) -> None:
    """The main job: the web app and an RQ worker together, supervised.

    The worker runs what pages hand over (index syncs after claims, edits and follows;
    digests of new works, on RQ's scheduler); its log goes to <state_dir>/logs/worker.log.
    A process that exits is said and started again; Ctrl-C stops both."""
    from peerscope import supervise

    settings = load_settings()
    if settings.accounts_database_url.startswith("sqlite:///"):
        from web.accounts import db

        db.upgrade(settings.accounts_database_url)  # a fresh checkout's store, ready before the first request
    log = settings.state_dir / "logs" / "worker.log"
    web = supervise.Child("web app", _self("serve", "--beside-worker", "--host", host, "--port", str(port), "--workers",
                                           str(workers), "--threads", str(threads)))
    rq = supervise.Child("worker", _self("worker"), log=log)
    click.echo(f"Peerscope: web app at http://{host}:{port}/ and an RQ worker on queue {settings.queue_name!r} "
               f"(its log: {log}). Ctrl-C stops both.", err=True)
    sys.exit(supervise.run([web, rq], say=lambda m: click.echo(m, err=True)))


def _register_feature_commands() -> None:
    """Commands that live with their feature (indexing, accounts, evaluation) register here.

    This is where the parts are wired together: builds get the owners' corrections from the
    accounts store, which the indexer itself never imports."""
    from evaluation.cli import eval_commands
    from indexer.cli import index_commands
    from web.accounts.cli import account_commands
    from web.accounts.overrides import load_overrides

    for command in (*index_commands(corrections=load_overrides), *account_commands(), *eval_commands()):
        main.add_command(command)


_register_feature_commands()
