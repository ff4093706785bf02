// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @dev Pushes ETH to an account without letting the account block or grief the caller.
 *
 * OpenZeppelin's {Address-sendValue} forwards all gas and reverts on failure, and
 * {LowLevelCall-callNoReturn} forwards all gas: either lets a recipient whose `receive` reverts or
 * burns gas block a tip or a trade. Here the call gets a fixed gas allowance, copies no return
 * data (so a return-data bomb costs the caller nothing) and reports failure instead of reverting,
 * so the caller can credit the amount for a later pull (see {TipJar-withdraw}).
 */
library EthPush {
    /**
     * @dev Gas forwarded to the recipient: enough for a smart-contract wallet's `receive` (a Safe
     * proxy with its `SafeReceived` event needs about 6,000), small enough that a hostile
     * recipient cannot make the sender pay much for its failure.
     */
    uint256 internal constant GAS_ALLOWANCE = 30_000;

    /// @dev Sends `amount` wei to `to` with {GAS_ALLOWANCE} gas. Returns false instead of reverting.
    function tryPush(address to, uint256 amount) internal returns (bool success) {
        assembly ("memory-safe") {
            success := call(GAS_ALLOWANCE, to, amount, 0x00, 0x00, 0x00, 0x00)
        }
    }
}
