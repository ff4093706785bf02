"""Reads of the chain index: tips, supporters, listings, holders, balances, trades.

:class:`ChainQueries` turns the ledger's rows into node.chain's views; the follower
(:class:`~node.chain.Indexer`) inherits them, so one object both follows the chain and answers.
Every query checks its arguments first (:mod:`._inputs`) and may be called from any thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from . import _inputs as inputs
from . import schema
from ._curve import price, reserve
from ._ledger import Ledger
from ._views import ChainEngagement, CreatorListing, Holding, Supporter, Tip, Trade
from .schema import from_u256, u256

#: Rows a listing returns when the caller does not say.
DEFAULT_TIPS = 100
DEFAULT_SUPPORTERS = 10
DEFAULT_TRADES = 100
#: Keys per statement when counting over many: under SQLite's oldest limit of 999 parameters.
_CHUNK = 900


class ChainQueries:
    """The read side of a :class:`Ledger` (``self.ledger``)."""

    ledger: Ledger

    def tips_for_post(self, post_id: bytes | str) -> list[Tip]:
        """Every indexed tip for post ``post_id`` (32 bytes or 64 hex digits), oldest first."""
        return self._tips(schema.TIPS_FOR_POST, (inputs.post_id(post_id),))

    def tip_counts(self, post_ids: Sequence[bytes]) -> dict[bytes, int]:
        """How many indexed tips name each of ``post_ids`` (32-byte ids) that has any."""
        counts: dict[bytes, int] = {}
        with self.ledger.reading("count tips") as db:
            for i in range(0, len(post_ids), _CHUNK):
                part = post_ids[i : i + _CHUNK]
                counts.update(db.execute(schema.COUNT_TIPS_FOR_POSTS.format(",".join("?" * len(part))), part))
        return counts

    def tips_received(self, creator: str, *, limit: int = DEFAULT_TIPS) -> list[Tip]:
        """The latest ``limit`` tips to ``creator``, newest first."""
        creator = inputs.address(creator, "creator")
        return self._tips(schema.TIPS_RECEIVED, (creator, inputs.limit(limit)))

    def top_supporters(self, creator: str, *, limit: int = DEFAULT_SUPPORTERS) -> list[Supporter]:
        """``creator``'s biggest tippers, per asset: for each asset tipped (ether first, then
        tokens by address), the ``limit`` tippers with the largest totals, largest first. Assets
        are never added together (there is no honest exchange rate on chain)."""
        creator = inputs.address(creator, "creator")
        limit = inputs.limit(limit)
        totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        with self.ledger.reading("query supporters") as db:
            for tipper, token, amount in db.execute(schema.TIPS_TO, (creator,)):
                entry = totals[(token, tipper)]
                entry[0] += from_u256(amount)
                entry[1] += 1
        per_asset: dict[str, list[Supporter]] = defaultdict(list)
        for (token, tipper), (total, count) in totals.items():
            per_asset[token].append(Supporter(tipper, token or None, total, count))
        result: list[Supporter] = []
        for token in sorted(per_asset):
            result += sorted(per_asset[token], key=lambda s: (-s.total, s.tipper))[:limit]
        return result

    def engagement(self, window_blocks: int, *, min_tip_wei: int, min_holding: int) -> ChainEngagement:
        """Tips (ether ones of at least ``min_tip_wei``) and buys in the last ``window_blocks``
        indexed blocks, holdings of at least ``min_holding`` base units now, and every account
        with a history on chain; one snapshot of the index."""
        params: dict[str, Any] = {
            "min_tip": u256(max(min_tip_wei, 0)),
            "min_holding": u256(max(min_holding, 1)),
        }
        with self.ledger.reading("query engagement") as db:
            last = db.execute(schema.GET_META, (schema.META_LAST_BLOCK,)).fetchone()
            head = int(last[0]) if last is not None else 0
            params["since"] = since = max(head - max(window_blocks, 0), 0)
            tips = tuple(db.execute(schema.ENGAGEMENT_TIPS, params))
            buys = tuple(db.execute(schema.ENGAGEMENT_BUYS, params))
            holders = tuple(db.execute(schema.ENGAGEMENT_HOLDERS, params))
            on_chain = frozenset(r[0] for r in db.execute(schema.ON_CHAIN_ACCOUNTS))
        return ChainEngagement(head, since, tips, buys, holders, on_chain)

    def counts(self) -> dict[str, int]:
        """How many launches, trades, tips and transfers are indexed (for metrics)."""
        with self.ledger.reading("query counts") as db:
            row = db.execute(schema.COUNTS).fetchone()
        return dict(zip(("launches", "trades", "tips", "transfers"), row, strict=True))

    def creators(self) -> list[CreatorListing]:
        """Every launched creator token, in launch order, with price, supply, reserve, holders."""
        return self._listings(schema.LISTINGS, ())

    def creator(self, creator: str) -> CreatorListing | None:
        """``creator``'s token listing, or ``None`` when it has launched none (as indexed)."""
        found = self._listings(schema.LISTING_OF, (inputs.address(creator, "creator"),))
        return found[0] if found else None

    def holders(self, token: str, *, min_balance: int = 1) -> list[Holding]:
        """Holders of ``token`` with at least ``min_balance`` base units, largest first."""
        token = inputs.address(token, "token")
        with self.ledger.reading("query holders") as db:
            rows = db.execute(schema.SELECT_HOLDERS, (token, u256(max(int(min_balance), 0)))).fetchall()
        return [Holding(token, holder, from_u256(balance)) for holder, balance in rows]

    def balance(self, token: str, holder: str) -> int:
        """``holder``'s indexed (confirmed) balance of ``token``; for a decision at the latest
        block use :meth:`ChainClient.balance_of`."""
        token, holder = inputs.address(token, "token"), inputs.address(holder, "holder")
        with self.ledger.reading("query balance") as db:
            row = db.execute(schema.GET_BALANCE, (token, holder)).fetchone()
        return from_u256(row[0]) if row else 0

    def follows_token(self, token: str) -> bool:
        """Whether the index follows ``token`` (a creator token the factory launched); the
        balances of any other token are not indexed."""
        token = inputs.address(token, "token")
        with self.ledger.reading("query token") as db:
            return db.execute(schema.IS_TOKEN, (token,)).fetchone() is not None

    def trades(self, token: str, *, limit: int = DEFAULT_TRADES) -> list[Trade]:
        """The latest ``limit`` trades of ``token``, newest first."""
        token = inputs.address(token, "token")
        with self.ledger.reading("query trades") as db:
            rows = db.execute(schema.SELECT_TRADES, (token, inputs.limit(limit))).fetchall()
        return [
            Trade(
                token=r[0],
                trader=r[1],
                side=r[2],
                amount=from_u256(r[3]),
                value=from_u256(r[4]),
                creator_fee=from_u256(r[5]),
                protocol_fee=from_u256(r[6]),
                supply=from_u256(r[7]),
                block_number=r[8],
                tx_hash=r[9],
                log_index=r[10],
            )
            for r in rows
        ]

    def _tips(self, query: str, params: tuple[Any, ...]) -> list[Tip]:
        with self.ledger.reading("query tips") as db:
            rows = db.execute(query, params).fetchall()
        return [
            Tip(r[0], r[1], r[2] or None, from_u256(r[3]), bytes(r[4]), r[5], r[6], r[7], r[8]) for r in rows
        ]

    def _listings(self, query: str, params: tuple[Any, ...]) -> list[CreatorListing]:
        with self.ledger.reading("query creators") as db:
            rows = db.execute(query, params).fetchall()
        result = []
        for creator, token, name, symbol, base, slope, supply, block, holders in rows:
            base, slope, supply = from_u256(base), from_u256(slope), from_u256(supply)
            result.append(
                CreatorListing(
                    creator,
                    token,
                    name,
                    symbol,
                    supply,
                    price(base, slope, supply),
                    reserve(base, slope, supply),
                    holders,
                    block,
                )
            )
        return result
