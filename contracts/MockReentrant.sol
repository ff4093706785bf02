// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @dev Test only: an account that calls back into a target whenever it receives ETH
 * (reentrancy), cheaply enough to do it within the 30,000 gas a bounded push forwards
 * ({EthPush}), and that can refuse ETH instead.
 *
 * Each attempt is an event, {ReentryAttempted}, with the call's outcome and the selector of the
 * error it reverted with, so a test proves the attack was really tried before it checks that it
 * gained nothing. To stay cheap the call data lives in the code of a small data contract (read
 * with one EXTCODECOPY instead of a storage slot per word), and the one-attempt-per-transaction
 * latch is transient storage.
 */
contract MockReentrant {
    // slot 0: | rejectEth (bool) | target (address) |
    address private _target;
    bool private _rejectEth;
    // slot 1: | value (uint96) | payload (address) |
    address private _payload;
    uint96 private _value;

    /// @dev Transient slot of the latch: set once the attack was tried in this transaction.
    bytes32 private constant _TRIED = keccak256("MockReentrant.tried");

    event ReentryAttempted(address indexed target, bytes4 selector, bool succeeded, bytes4 revertSelector);

    error MockReentrantRejected();

    /// @dev On the next receipt of ETH (once per transaction), call `target` with `data` and `value`.
    function arm(address target, bytes calldata data, uint96 value) external {
        _target = target;
        _payload = address(new MockPayload(data));
        _value = value;
    }

    function disarm() external {
        _target = address(0);
    }

    function setRejectEth(bool reject) external {
        _rejectEth = reject;
    }

    /// @dev Makes this contract call `to` with `value` wei and `data`; bubbles a revert.
    function execute(address to, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory result) = to.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        return result;
    }

    receive() external payable {
        if (_rejectEth) revert MockReentrantRejected();
        address target = _target;
        if (target == address(0)) return;
        bytes32 tried = _TRIED;
        bool done;
        assembly ("memory-safe") {
            done := tload(tried)
            tstore(tried, 1)
        }
        if (done) return;
        bytes memory data = _payload.code;
        (bool ok, bytes memory result) = target.call{value: _value}(data);
        emit ReentryAttempted(target, bytes4(data), ok, result.length >= 4 ? bytes4(result) : bytes4(0));
    }
}

/// @dev Test only: holds `data` as its code, for {MockReentrant} to read cheaply.
contract MockPayload {
    constructor(bytes memory data) {
        assembly ("memory-safe") {
            return(add(data, 0x20), mload(data))
        }
    }
}
