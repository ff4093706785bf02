"""The libp2p host: a persistent node identity, noise-only security, yamux, TCP.

py-libp2p 0.5.0 facts this module encodes (see DESIGN.md, "py-libp2p 0.5.0 on trio"):

* ``new_host``'s default security stack also accepts plaintext and secio dialers, so the host
  is built with an explicit noise-only ``sec_opt`` and a yamux-only ``muxer_opt``.
* Leaving ``host.run()`` does not close outbound connections: :func:`disconnect_all` is
  called on the way out.
* Inbound connections are taken by :class:`~node.p2p.inbound.GuardedTCP` (caps, handshake
  deadline, idle timeout) when :func:`make_host` is given an :class:`~node.p2p.inbound.InboundGuard`.
* The node's libp2p identity is its own Ed25519 key in the data folder (never a user's
  Ethereum key), created on first start with mode 0600.
"""

from __future__ import annotations

import logging
from pathlib import Path

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.ed25519 import Ed25519PrivateKey
from libp2p.crypto.keys import KeyPair
from libp2p.crypto.x25519 import create_new_key_pair as _new_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux

from node.config import secret_file
from node.errors import ConfigError
from node.p2p.inbound import CLOSE_TIMEOUT, GuardedTCP, InboundGuard

log = logging.getLogger(__name__)

IDENTITY_FILE = "p2p_identity.key"

__all__ = ["IDENTITY_FILE", "disconnect_all", "load_identity", "make_host", "parse_peer_addr"]


def load_identity(data_dir: Path) -> KeyPair:
    """The node's Ed25519 identity from ``data_dir/p2p_identity.key``, created if missing.

    Raises :class:`~node.errors.ConfigError` when the file exists but is not a 32-byte seed.
    """
    path = Path(data_dir) / IDENTITY_FILE
    seed, created = secret_file(path, "node identity (Ed25519 seed)")
    if created:
        log.info("created node identity %s", path)
    private = Ed25519PrivateKey.from_bytes(seed)
    return KeyPair(private, private.get_public_key())


def make_host(key_pair: KeyPair, guard: InboundGuard | None = None) -> IHost:
    """A host that speaks only noise (security) and yamux (multiplexing); with ``guard``, its
    TCP listener runs every inbound connection under that guard's limits."""
    noise = NoiseTransport(key_pair, noise_privkey=_new_x25519_key_pair().private_key)
    host = new_host(
        key_pair=key_pair,
        sec_opt={NOISE_PROTOCOL_ID: noise},
        muxer_opt={TProtocol(YAMUX_PROTOCOL_ID): Yamux},
    )
    if guard is not None:
        network = host.get_network()
        network.transport = GuardedTCP(guard)  # type: ignore[attr-defined]  # the swarm's TCP()
        network.register_notifee(guard.notifee())
    return host


def parse_listen_addr(addr: str) -> multiaddr.Multiaddr:
    """Parse a listen multiaddr such as ``/ip4/127.0.0.1/tcp/4001`` (port 0: ephemeral)."""
    try:
        ma = multiaddr.Multiaddr(addr)
    except Exception as exc:
        raise ConfigError(f"p2p.listen: {addr!r} is not a multiaddr") from exc
    if "tcp" not in [p.name for p in ma.protocols()]:
        raise ConfigError(f"p2p.listen: {addr!r} is not a TCP address")
    return ma


def parse_peer_addr(addr: str) -> PeerInfo:
    """Parse ``/ip4/.../tcp/.../p2p/<peer id>``; raises ConfigError naming the address."""
    try:
        return info_from_p2p_addr(multiaddr.Multiaddr(addr))
    except Exception as exc:
        raise ConfigError(f"{addr!r} is not a peer multiaddr (/ip4/<ip>/tcp/<port>/p2p/<id>)") from exc


async def disconnect_all(host: IHost, *, timeout: float = CLOSE_TIMEOUT) -> None:
    """Close every connection (inbound and outbound); bounded by ``timeout``."""
    with trio.move_on_after(timeout) as scope:
        scope.shield = True
        for peer_id in list(host.get_connected_peers()):
            await disconnect(host, peer_id)


async def disconnect(host: IHost, peer_id: ID) -> None:
    """Close every connection to ``peer_id``, logging (not raising) transport errors."""
    try:
        await host.disconnect(peer_id)
    except Exception:  # a half-dead connection may fail to close cleanly
        log.debug("error while disconnecting %s", peer_id, exc_info=True)
