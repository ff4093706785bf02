"""The chain index's SQL: its own SQLite file, every table and index, versioned.

Layout (schema version 2)::

    meta(key PK, value)           chain id, genesis hash, contract addresses, last indexed block
    blocks(number PK, hash)       hashes of indexed blocks: every block that had a followed
                                  log and every batch end, within the reorg window
    tokens(token PK, creator UNIQUE, name, symbol, base_price, slope, supply, block, tx, log)
                                  launches (TokenLaunched) and each token's indexed supply
    trades(block, log PK, tx, token, trader, side, amount, value, creator_fee, protocol_fee, supply)
    tips(block, log PK, tx, creator, tipper, token, amount, post, memo)
                                  ``token`` is '' for ether, ``post`` 32 bytes
    transfers(block, log PK, tx, token, sender, recipient, value)
    holders(token, holder PK, balance)
                                  derived from transfers: non-zero balances only (a
                                  collective's shares are a token: its members are holders)

Since version 2, collectives (``CollectiveFactory``, ``CollectiveShares``, ``CollectiveGovernor``)::

    collectives(shares PK, community, launcher, governor UNIQUE, timelock, block, tx, log)
    collective_settings(block, log PK, tx, shares, kind, value)
                                  moderators / charter / revenue, each row the whole new value:
                                  the newest row of a kind is the collective's setting now
    collective_money(block, log PK, tx, shares, kind, asset, account, amount, to_treasury)
                                  income / claim / withdrawal; ``asset`` '' for ether
    proposals(block, log PK, tx, governor, proposal, proposer, actions, description,
              vote_start, vote_end)
                                  ``proposal`` the id as 78 digits, ``actions`` JSON
    proposal_steps(block, log PK, tx, governor, proposal, kind, eta)
    votes(block, log PK, tx, governor, proposal, voter, support, weight, reason)

Every event row keys on ``(block, log)``: one log index is unique within its block. Addresses
are EIP-55 text. Amounts are uint256, wider than SQLite's integers: they are stored as text,
zero-padded to 78 digits (:func:`u256`), so they compare and sort as numbers and read back
exactly; sums are done in Python.

Rolling back to block ``n`` deletes every event row with ``block > n`` (undoing their effect on
``holders`` and ``tokens.supply`` first) and every ``blocks`` row above ``n``.

``PRAGMA user_version`` holds the schema version; :data:`MIGRATIONS` takes a file from any older
version to :data:`SCHEMA_VERSION`. The index is derived data: a file it cannot use is rebuilt.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

_V1 = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID""",
    """CREATE TABLE blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL)""",
    """CREATE TABLE tokens (
        token TEXT PRIMARY KEY, creator TEXT NOT NULL UNIQUE, name TEXT NOT NULL, symbol TEXT NOT NULL,
        base_price TEXT NOT NULL, slope TEXT NOT NULL, supply TEXT NOT NULL,
        block INTEGER NOT NULL, tx TEXT NOT NULL, log INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE INDEX tokens_block ON tokens (block)""",
    """CREATE TABLE trades (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        token TEXT NOT NULL, trader TEXT NOT NULL, side TEXT NOT NULL,
        amount TEXT NOT NULL, value TEXT NOT NULL, creator_fee TEXT NOT NULL,
        protocol_fee TEXT NOT NULL, supply TEXT NOT NULL,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE INDEX trades_token ON trades (token, block, log)""",
    """CREATE TABLE tips (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        creator TEXT NOT NULL, tipper TEXT NOT NULL, token TEXT NOT NULL,
        amount TEXT NOT NULL, post BLOB NOT NULL, memo TEXT NOT NULL,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE INDEX tips_creator ON tips (creator, block, log)""",
    """CREATE INDEX tips_post ON tips (post, block, log)""",
    """CREATE TABLE transfers (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        token TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE INDEX transfers_token ON transfers (token, block, log)""",
    """CREATE TABLE holders (
        token TEXT NOT NULL, holder TEXT NOT NULL, balance TEXT NOT NULL,
        PRIMARY KEY (token, holder)) WITHOUT ROWID""",
    """CREATE INDEX holders_balance ON holders (token, balance)""",
]

_V2 = [
    """CREATE TABLE collectives (
        shares TEXT PRIMARY KEY, community BLOB NOT NULL, launcher TEXT NOT NULL,
        governor TEXT NOT NULL UNIQUE, timelock TEXT NOT NULL,
        block INTEGER NOT NULL, tx TEXT NOT NULL, log INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE INDEX collectives_block ON collectives (block)""",
    """CREATE TABLE collective_settings (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        shares TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE INDEX collective_settings_shares ON collective_settings (shares, kind, block, log)""",
    """CREATE TABLE collective_money (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        shares TEXT NOT NULL, kind TEXT NOT NULL, asset TEXT NOT NULL, account TEXT NOT NULL,
        amount TEXT NOT NULL, to_treasury TEXT NOT NULL,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE INDEX collective_money_shares ON collective_money (shares, asset)""",
    """CREATE TABLE proposals (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        governor TEXT NOT NULL, proposal TEXT NOT NULL, proposer TEXT NOT NULL,
        actions TEXT NOT NULL, description TEXT NOT NULL,
        vote_start INTEGER NOT NULL, vote_end INTEGER NOT NULL,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE UNIQUE INDEX proposals_id ON proposals (governor, proposal)""",
    """CREATE TABLE proposal_steps (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        governor TEXT NOT NULL, proposal TEXT NOT NULL, kind TEXT NOT NULL, eta INTEGER,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE INDEX proposal_steps_id ON proposal_steps (governor, proposal, block, log)""",
    """CREATE TABLE votes (
        block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
        governor TEXT NOT NULL, proposal TEXT NOT NULL, voter TEXT NOT NULL,
        support TEXT NOT NULL, weight TEXT NOT NULL, reason TEXT NOT NULL,
        PRIMARY KEY (block, log)) WITHOUT ROWID""",
    """CREATE INDEX votes_id ON votes (governor, proposal)""",
]

#: ``MIGRATIONS[v]`` takes an index at version ``v - 1`` to version ``v``.
MIGRATIONS: dict[int, list[str]] = {1: _V1, 2: _V2}

#: Tables holding event rows keyed on ``(block, log)``, rolled back by block.
EVENT_TABLES = (
    "trades",
    "tips",
    "transfers",
    "collective_settings",
    "collective_money",
    "proposals",
    "proposal_steps",
    "votes",
)
#: Every table, emptied when the index turns out to belong to another chain or deployment.
ALL_TABLES = ("meta", "blocks", "tokens", "holders", "collectives", *EVENT_TABLES)

# ---------------------------------------------------------------- statements

GET_META = "SELECT value FROM meta WHERE key = ?"
SET_META = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"
#: Empties the whole index, one statement per table.
WIPE = tuple(f"DELETE FROM {table}" for table in ALL_TABLES)
#: Rolling back to block ``?``: event rows above it (after their effect is undone), then the
#: holders of tokens launched above it, those tokens, and the kept block hashes above it.
EVENTS_ABOVE = tuple(f"DELETE FROM {table} WHERE block > ?" for table in EVENT_TABLES)
TOKENS_LAUNCHED_ABOVE = "SELECT token FROM tokens WHERE block > ?"
DELETE_HOLDERS_OF = "DELETE FROM holders WHERE token = ?"
DELETE_TOKENS_ABOVE = "DELETE FROM tokens WHERE block > ?"
DELETE_COLLECTIVES_ABOVE = "DELETE FROM collectives WHERE block > ?"
DELETE_BLOCKS_ABOVE = "DELETE FROM blocks WHERE number > ?"

INSERT_TOKEN = """INSERT INTO tokens (token, creator, name, symbol, base_price, slope, supply, block, log, tx)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_TRADE = """INSERT INTO trades
    (block, log, tx, token, trader, side, amount, value, creator_fee, protocol_fee, supply)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_TIP = """INSERT INTO tips (block, log, tx, creator, tipper, token, amount, post, memo)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_TRANSFER = """INSERT INTO transfers (block, log, tx, token, sender, recipient, value)
    VALUES (?, ?, ?, ?, ?, ?, ?)"""
INSERT_COLLECTIVE = """INSERT INTO collectives (shares, community, launcher, governor, timelock, block, log, tx)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_SETTING = """INSERT INTO collective_settings (block, log, tx, shares, kind, value)
    VALUES (?, ?, ?, ?, ?, ?)"""
INSERT_MONEY = """INSERT INTO collective_money
    (block, log, tx, shares, kind, asset, account, amount, to_treasury) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_PROPOSAL = """INSERT INTO proposals
    (block, log, tx, governor, proposal, proposer, actions, description, vote_start, vote_end)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_STEP = """INSERT INTO proposal_steps (block, log, tx, governor, proposal, kind, eta)
    VALUES (?, ?, ?, ?, ?, ?, ?)"""
INSERT_VOTE = """INSERT INTO votes (block, log, tx, governor, proposal, voter, support, weight, reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
PUT_BLOCK = "INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)"
GET_BLOCK = "SELECT hash FROM blocks WHERE number = ?"
BLOCKS_BELOW = "SELECT number, hash FROM blocks WHERE number < ? ORDER BY number DESC"
PRUNE_BLOCKS = "DELETE FROM blocks WHERE number < ?"
TRANSFERS_ABOVE = """SELECT token, sender, recipient, value FROM transfers
    WHERE block > ? ORDER BY block DESC, log DESC"""
GET_SUPPLY = "SELECT supply FROM tokens WHERE token = ?"
SET_SUPPLY = "UPDATE tokens SET supply = ? WHERE token = ?"
GET_BALANCE = "SELECT balance FROM holders WHERE token = ? AND holder = ?"
IS_TOKEN = "SELECT 1 FROM tokens WHERE token = ?"
PUT_BALANCE = "INSERT OR REPLACE INTO holders (token, holder, balance) VALUES (?, ?, ?)"
DELETE_BALANCE = "DELETE FROM holders WHERE token = ? AND holder = ?"
_SELECT_TIPS = "SELECT creator, tipper, token, amount, post, memo, block, tx, log FROM tips "
TIPS_FOR_POST = _SELECT_TIPS + "WHERE post = ? ORDER BY block, log"
TIPS_RECEIVED = _SELECT_TIPS + "WHERE creator = ? ORDER BY block DESC, log DESC LIMIT ?"
TIPS_TO = "SELECT tipper, token, amount FROM tips WHERE creator = ?"
#: How many tips name each of the posts among the ``{}`` parameters (32-byte ids).
COUNT_TIPS_FOR_POSTS = "SELECT post, count(*) FROM tips WHERE post IN ({}) GROUP BY post"
SELECT_HOLDERS = """SELECT holder, balance FROM holders
    WHERE token = ? AND balance >= ? ORDER BY balance DESC, holder"""
SELECT_TRADES = """SELECT token, trader, side, amount, value, creator_fee, protocol_fee, supply, block, tx, log
    FROM trades WHERE token = ? ORDER BY block DESC, log DESC LIMIT ?"""
_SELECT_LISTINGS = """SELECT t.creator, t.token, t.name, t.symbol, t.base_price, t.slope, t.supply, t.block,
    (SELECT COUNT(*) FROM holders h WHERE h.token = t.token) FROM tokens t """
LISTINGS = _SELECT_LISTINGS + "ORDER BY t.block, t.log"
LISTING_OF = _SELECT_LISTINGS + "WHERE t.creator = ?"
KNOWN_TOKENS = "SELECT token FROM tokens ORDER BY block, log"
#: Every followed contract of every collective: its shares and its governor.
KNOWN_COLLECTIVES = "SELECT shares, governor FROM collectives ORDER BY block, log"
_SELECT_COLLECTIVE = (
    "SELECT shares, community, launcher, governor, timelock, block, tx, log FROM collectives "
)
COLLECTIVE = _SELECT_COLLECTIVE + "WHERE shares = ?"
COLLECTIVES_OF_COMMUNITY = _SELECT_COLLECTIVE + "WHERE community = ? ORDER BY block, log"
#: A collective's setting of one kind now, and the block it was set in.
SETTING_NOW = """SELECT value, block FROM collective_settings WHERE shares = ? AND kind = ?
    ORDER BY block DESC, log DESC LIMIT 1"""
MONEY_OF = "SELECT kind, asset, amount, to_treasury FROM collective_money WHERE shares = ?"
_SELECT_PROPOSALS = """SELECT governor, proposal, proposer, actions, description, vote_start, vote_end, block, tx, log
    FROM proposals """
PROPOSALS_OF = _SELECT_PROPOSALS + "WHERE governor = ? ORDER BY block DESC, log DESC LIMIT ?"
PROPOSAL = _SELECT_PROPOSALS + "WHERE governor = ? AND proposal = ?"
STEPS_OF = "SELECT kind, eta FROM proposal_steps WHERE governor = ? AND proposal = ? ORDER BY block, log"
VOTES_OF = "SELECT support, weight FROM votes WHERE governor = ? AND proposal = ?"
COUNTS = """SELECT (SELECT count(*) FROM tokens), (SELECT count(*) FROM trades), (SELECT count(*) FROM tips),
    (SELECT count(*) FROM transfers)"""

#: Engagement with creators since block ``:since`` (discovery, ``node.discover``): per
#: (creator, account), the last block of a tip in ether of at least ``:min_tip`` or in any token
#: (no exchange rate on chain: a token tip counts whatever its size) ...
ENGAGEMENT_TIPS = """SELECT creator, tipper, max(block) FROM tips
    WHERE block >= :since AND tipper != creator AND (token != '' OR amount >= :min_tip)
    GROUP BY creator, tipper"""
#: ... of a buy of the creator's token ...
ENGAGEMENT_BUYS = """SELECT t.creator, tr.trader, max(tr.block) FROM trades tr JOIN tokens t ON t.token = tr.token
    WHERE tr.side = 'buy' AND tr.block >= :since AND tr.trader != t.creator GROUP BY t.creator, tr.trader"""
#: ... and who holds at least ``:min_holding`` of it now (any time: a holding is current).
ENGAGEMENT_HOLDERS = """SELECT t.creator, h.holder FROM holders h JOIN tokens t ON t.token = h.token
    WHERE h.balance >= :min_holding AND h.holder != t.creator"""
#: Every account with a history on chain as indexed: it tipped, traded, holds or launched.
ON_CHAIN_ACCOUNTS = """SELECT tipper FROM tips UNION SELECT trader FROM trades
    UNION SELECT holder FROM holders UNION SELECT creator FROM tokens"""

# ---------------------------------------------------------------- meta keys

META_CHAIN_ID = "chain_id"
META_GENESIS = "genesis_hash"
META_FACTORY = "factory"
META_TIP_JAR = "tip_jar"
#: The collective factory (a deployment that gains one, as every index of version 1 lacks it,
#: is indexed again from its start block, to follow the collectives launched before).
META_COLLECTIVES = "collective_factory"
META_LAST_BLOCK = "last_block"

_DIGITS = 78  # len(str(2**256 - 1))


def u256(value: int) -> str:
    """``value`` (0 <= value < 2**256) as 78 zero-padded decimal digits: sorts numerically."""
    if not 0 <= value < 2**256:
        raise ValueError(f"not a uint256: {value}")
    return str(value).zfill(_DIGITS)


def from_u256(text: str) -> int:
    return int(text)
