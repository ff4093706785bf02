// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @dev When a fee change applies: a decrease at once, an increase only after {INCREASE_DELAY}.
 *
 * A trade is signed against a quote and mined later. Its slippage bound caps what it pays, but a
 * fee raised between signing and mining would still take that whole margin from the trader. With
 * increases announced {INCREASE_DELAY} ahead (an event says when they apply), a trade sent with
 * a deadline shorter than the delay (the node's client uses 10 minutes) executes at the fee it
 * was quoted or at a lower one.
 *
 * A schedule is three values the caller keeps in its own storage, packed beside whatever it reads
 * on every trade (so reading the fee costs no extra storage slot): the fee in force before the
 * change (`current`), the fee after it (`next`) and when it applies (`nextAt`, a timestamp; 0
 * when there is no pending change, then `next == current`). The functions are pure.
 */
library FeeSchedule {
    /// @dev How long a fee increase is announced before it applies.
    uint256 internal constant INCREASE_DELAY = 1 hours;

    /// @dev The fee in force at `timestamp`.
    function feeAt(uint16 current, uint16 next, uint40 nextAt, uint256 timestamp) internal pure returns (uint16) {
        return timestamp >= nextAt ? next : current;
    }

    /**
     * @dev The schedule after a change to `bps` made at `timestamp`, when `inForce` is the fee then
     * in force: a decrease (or no change) applies at once and cancels a pending increase; an
     * increase applies at `timestamp + INCREASE_DELAY`, and until then `inForce` stays.
     */
    function change(
        uint16 inForce,
        uint16 bps,
        uint256 timestamp
    ) internal pure returns (uint16 current, uint16 next, uint40 nextAt) {
        if (bps <= inForce) return (bps, bps, 0);
        return (inForce, bps, uint40(timestamp + INCREASE_DELAY));
    }
}
