"""Node configuration: defaults < ``config/node.toml`` (or ``$MECENATE_CONFIG``) < ``MECENATE_*``.

One typed settings object is read once at start-up and passed down; nothing below the CLI
reads the environment itself. Nested fields take ``__`` in environment variables, e.g.
``MECENATE_API__PORT=8001`` or ``MECENATE_P2P__BOOTSTRAP='["/ip4/127.0.0.1/tcp/4001/p2p/Qm..."]'``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from node.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "node.toml"

#: The message store's file inside ``data_dir`` (the node opens it; the CLI's export/import too).
STORE_FILE = "store.sqlite"


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    #: A secret: compared in constant time, never shown in a repr, a log or an error.
    admin_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token for /v1/admin; empty disables admin."
    )
    max_body_bytes: PositiveInt = 1_048_576
    #: A request's whole body must arrive within this many seconds of its start (else 408 and
    #: the connection closes): a client dribbling a body cannot hold a connection for long.
    body_timeout_seconds: PositiveFloat = 15.0
    #: An idle keep-alive connection, or one still sending its request line and headers, is
    #: closed after this many seconds.
    keep_alive_timeout_seconds: PositiveFloat = 5.0
    #: A connection whose peer takes no bytes for this long (a full window, unacknowledged
    #: data) is aborted by the kernel (TCP_USER_TIMEOUT): a client that stops reading a
    #: response (or the live stream) frees its connection.
    send_timeout_seconds: PositiveFloat = 30.0
    #: Most live-stream (``GET /v1/stream``) subscribers at once; over it, 503.
    stream_max_subscribers: PositiveInt = 1000
    #: Messages a live-stream subscriber may fall behind before it is dropped (with a final
    #: ``dropped`` event), so a slow reader never holds up the others.
    stream_buffer_messages: PositiveInt = 1024
    #: Processes besides the node's core that answer the polled reads (a feed page, a thread,
    #: ``/health``) from the store file, on the API's port (``node.read_worker``). 0: the core
    #: answers everything. On a host with cores to spare, 1 takes the reads off the core's one
    #: event loop (and its one core): see docs/performance.md.
    read_workers: NonNegativeInt = Field(default=0, le=16)


_COMMUNITY_ID = re.compile(r"0x[0-9a-f]{64}")


class P2PSettings(BaseModel):
    """Every tunable of the p2p service (``node.p2p``), declared once: the service reads these;
    its fixed protocol numbers live in ``node.p2p.config``."""

    listen: str = "/ip4/127.0.0.1/tcp/4001"
    bootstrap: list[str] = Field(default_factory=list)
    #: Seconds between periodic sync rounds with each connected peer.
    sync_interval_seconds: PositiveFloat = 30.0
    #: Seconds between gossipsub heartbeats (mesh upkeep; py-libp2p's default is 120).
    gossip_heartbeat_seconds: PositiveFloat = 1.0
    #: Fault points (decaying, see ``node.p2p.peers.PeerBook``) that get a peer banned.
    fault_threshold: PositiveFloat = 20.0
    #: How long a banned peer stays banned: disconnected, ignored, not dialled, refused.
    ban_seconds: PositiveFloat = 300.0
    #: Messages accepted through the API waiting to be gossiped; past it, they reach peers by
    #: sync instead (counted as ``dropped_outbound``, and a sync round starts at once).
    gossip_queue: PositiveInt = 10_000
    #: Store reports (ingest batches) the service may fall behind by before it rebuilds its
    #: sync index from the store in a worker thread (see ``node.accepted``).
    feed_buffer: PositiveInt = 1024
    #: An inbound connection must finish its handshake (multistream, noise, yamux) this soon.
    handshake_timeout_seconds: PositiveFloat = 10.0
    #: An inbound connection with no traffic this long is closed, unless the peer is useful
    #: (in our gossip topic, or synced with us).
    idle_timeout_seconds: PositiveFloat = 60.0
    #: Most inbound connections held at once; never more than a quarter of the descriptor
    #: limit (RLIMIT_NOFILE), so the API and the store keep theirs.
    max_inbound_connections: PositiveInt = 512
    #: Most inbound connections from one IP address (peers behind one NAT share it).
    max_connections_per_ip: PositiveInt = 16
    #: New connections from the IP of a banned peer are refused this long (0: never).
    ip_cooldown_seconds: NonNegativeFloat = 60.0
    #: The communities this node serves besides the base scope (``node.messages.scope``):
    #: ``all`` (or empty), ``base`` (none), or their ids, comma-separated, each ``0x`` + 64 hex
    #: digits. Messages of other communities are neither stored nor relayed. The initial value:
    #: changes made at run time (``mecenate node scopes``) are kept in the store and win over it
    #: until it changes.
    scopes: str = "all"
    #: Most community gossip topics a node serving ``all`` joins (it joins those its peers
    #: announce, and those it publishes in): past it, other communities reach it by sync only.
    max_topics: PositiveInt = 1024
    #: Peering by scope (``node.p2p.discovery``): for every community it serves, a node keeps
    #: connections to this many peers that serve it too, dialling peers its peers told it of;
    #: otherwise a community's messages reach only the nodes serving it that happen to be
    #: connected through other nodes serving it. 0 turns peering by scope off.
    scope_peers: NonNegativeInt = 2
    #: Most peers a node dials for peering by scope, on top of its bootstrap peers, whatever
    #: it serves: a node serving every community stops there instead of dialling the network.
    max_scope_connections: NonNegativeInt = 16
    #: Seconds between two peer-list exchanges (``/mecenate/peers/1.0.0``) with each connected
    #: peer, and between two looks at which scopes lack peers.
    peer_exchange_seconds: PositiveFloat = 10.0

    @field_validator("scopes")
    @classmethod
    def _scope_list(cls, text: str) -> str:
        """The canonical form: ``all``, or the ids in lower case, unique and sorted."""
        items = [item.strip().lower() for item in text.split(",") if item.strip()]
        if not items or items == ["all"]:
            return "all"
        if items == ["base"]:
            return "base"
        bad = [item for item in items if not _COMMUNITY_ID.fullmatch(item)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a community id (0x and 64 hex digits), 'all' or 'base'")
        return ",".join(sorted(set(items)))

    @property
    def communities(self) -> frozenset[bytes] | None:
        """The ids of the communities served besides the base scope; ``None``: all of them."""
        if self.scopes == "all":
            return None
        if self.scopes == "base":
            return frozenset()
        return frozenset(bytes.fromhex(item[2:]) for item in self.scopes.split(","))


class ChainSettings(BaseModel):
    rpc_url: str = "http://127.0.0.1:8545"
    confirmations: NonNegativeInt = 2
    poll_interval_seconds: PositiveFloat = 1.0
    deployments_dir: Path = PROJECT_ROOT / "config" / "deployments"
    build_manifest: Path = PROJECT_ROOT / ".build" / "__local__.json"


class GatingSettings(BaseModel):
    """Exclusive content: online-unlock challenges (keys and nonces live in the data dir) and
    the grant service."""

    challenge_ttl_seconds: int = Field(default=300, ge=10, le=3600)
    #: The authority unlock challenges name (EIP-4361 ``domain``); empty: the API's host:port.
    domain: str = ""
    #: Most unexpired unlock challenges outstanding at once.
    nonce_capacity: PositiveInt = 10_000
    #: Most unexpired, unused unlock challenges one client (IP address; IPv6: its /64) may hold.
    nonces_per_client: PositiveInt = 20
    #: Most unexpired, unused unlock challenges for one address; a new one replaces the oldest.
    nonces_per_address: PositiveInt = 3
    #: Every so often, every held post is rescanned against its indexed holders and the grants
    #: issued, to repair grants missed for any reason (downtime, writes from outside the node).
    reconcile_interval_seconds: PositiveFloat = 300.0
    #: Holders checked per round of grant work; pending post rescans go before each round.
    grant_batch: PositiveInt = 512
    #: Wait before retrying grant work the chain or the store failed.
    grant_retry_seconds: PositiveFloat = 5.0


class SearchSettings(BaseModel):
    """Full-text search (``GET /v1/search``): what one query may ask of the FTS5 index."""

    #: Longest query text, in characters (longer: 400).
    max_query_chars: PositiveInt = 200
    #: Most words in one query (more: 400); every word must match.
    max_terms: PositiveInt = 8
    #: Words at least this long match as prefixes of words; shorter ones only whole words (a
    #: one-letter prefix walks most of the index).
    min_prefix_chars: PositiveInt = 2
    #: How deep a result list may be paged (offset + page): deeper pages are not served.
    max_results: PositiveInt = 1000
    #: A post query ranks at most this many of its matches, the ones this node stored last: a
    #: common word's cost stays bounded (docs/discovery.md, "Search").
    max_candidates: PositiveInt = 1000


class DiscoverSettings(BaseModel):
    """Creator discovery (``GET /v1/discover/creators``): the window, the ranking's weights and
    the bounds on what counts as engagement; docs/discovery.md explains each."""

    #: Days of engagement ranked when the request names no window, and the longest it may name.
    default_window_days: PositiveInt = 30
    max_window_days: PositiveInt = 365
    #: Days over which a signal's weight halves (time decay).
    half_life_days: PositiveFloat = 7.0
    #: The chain's block interval in seconds: the index keeps block numbers, not times, so an
    #: on-chain signal's age is its depth below the indexed head times this (Base, OP: 2).
    block_seconds: PositiveFloat = 2.0
    #: Weight of each engager's strongest signal: costly ones (on chain) above free ones.
    tip_weight: NonNegativeFloat = 5.0
    buy_weight: NonNegativeFloat = 4.0
    hold_weight: NonNegativeFloat = 3.0
    reply_weight: NonNegativeFloat = 1.0
    reaction_weight: NonNegativeFloat = 0.5
    #: Followers added to every creator's audience (damps scores over tiny audiences).
    follower_prior: PositiveFloat = 10.0
    #: What a free signal from an account without a history on chain counts for at most, when
    #: ``vouches_full`` of its followers have one (fewer: proportionally less; the rest goes to
    #: the logarithmic pool scaled by ``fresh_weight``).
    vouched_credibility: float = Field(default=0.5, ge=0.0, le=1.0)
    vouches_full: PositiveInt = 3
    fresh_weight: NonNegativeFloat = 0.5
    #: Ether tips below this many wei, and holdings below this many base units of a creator
    #: token, are not engagement (dust costs a sybil almost nothing).
    min_tip_wei: NonNegativeInt = 10**14
    min_holding: PositiveInt = 10**18
    #: Most creators one request may ask for.
    max_results: PositiveInt = 100
    #: A ranking is computed at most once per this many seconds for each request shape (window,
    #: bands, limit, community/topic), one computation at a time, and served from memory in
    #: between; a stale one is served while one request computes the next (0: always computed).
    #: It reads every engagement in the window.
    cache_seconds: NonNegativeFloat = 60.0


class WebSettings(BaseModel):
    """The web app the node serves at ``/``, and the files of its ``/docs`` page."""

    #: The built web app (``scripts/build-web.sh`` writes it); ``/`` says how to build it when missing.
    dist_dir: Path = PROJECT_ROOT / "web" / "dist"
    #: Swagger UI's files (npm ``swagger-ui-dist``), served for ``/docs`` so it works offline.
    swagger_dir: Path = PROJECT_ROOT / "node_modules" / "swagger-ui-dist"
    #: The chain RPC URL the web app reads through, handed to every browser (so never one with
    #: an API key). Empty: the node's own ``chain.rpc_url`` when it carries no secret (no
    #: userinfo, path or query), else none and the app reads through the user's wallet.
    rpc_url: str = ""


class Settings(BaseSettings):
    """Everything a node needs to run; see ``config/node.toml`` for the documented defaults."""

    model_config = SettingsConfigDict(env_prefix="MECENATE_", env_nested_delimiter="__")

    chain_id: int = 31337
    data_dir: Path = PROJECT_ROOT / "data" / "node"
    #: Where the CLI keeps the user's encrypted keystores (Web3 Secret Storage files).
    keys_dir: Path = Path("~/.mecenate/keys")
    #: scrypt cost of new keystores; 2**18 is the Web3 Secret Storage standard.
    keystore_scrypt_n: int = Field(default=1 << 18, ge=1 << 10)

    @field_validator("keystore_scrypt_n")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            raise ValueError("must be a power of two (scrypt's N)")
        return n

    #: The node the CLI talks to; empty means this config's own API address.
    node_url: str = ""
    api: ApiSettings = ApiSettings()
    p2p: P2PSettings = P2PSettings()
    chain: ChainSettings = ChainSettings()
    gating: GatingSettings = GatingSettings()
    web: WebSettings = WebSettings()
    search: SearchSettings = SearchSettings()
    discover: DiscoverSettings = DiscoverSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("MECENATE_CONFIG", DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))


def secret_file(path: Path, what: str) -> tuple[bytes, bool]:
    """The 32-byte secret in ``path`` (a node key in the data dir), created if missing: written
    once with O_EXCL, mode 0600 and fsync, so a crash never leaves a half key. Returns the secret
    and whether it was created. Raises ConfigError when the file holds anything but 32 bytes."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
            f.flush()
            os.fsync(f.fileno())
        created = True
    else:
        created = False
    secret = path.read_bytes()
    if len(secret) != 32:
        raise ConfigError(f"{path}: a {what} file holds 32 bytes")
    return secret, created


def node_url(settings: Settings) -> str:
    """The base URL of the node's API, as the CLI should call it."""
    return settings.node_url.rstrip("/") or f"http://{settings.api.host}:{settings.api.port}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raises ConfigError naming the bad field when they cannot be used."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        # Name each bad field and the rule, never the value: it may be a secret (admin_token).
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc
    except (ValueError, OSError) as exc:  # an unreadable or malformed TOML file
        raise ConfigError(f"cannot read the configuration: {exc}") from exc
