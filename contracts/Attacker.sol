// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev Test only: an account that can refuse ETH and that, whenever it receives ETH, tries to
/// call back into a target (reentrancy). It counts how many reentrant calls succeeded.
contract Attacker {
    address public target;
    bytes public reentryData;
    uint256 public reentriesLeft;
    uint256 public reentriesSucceeded;
    uint256 public reentriesAttempted;
    bool public rejectEth;

    error AttackerRejected();

    /// @dev Arms the attack: on each of the next `times` receipts of ETH, call `target` with `data`.
    function arm(address target_, bytes calldata data, uint256 times) external {
        target = target_;
        reentryData = data;
        reentriesLeft = times;
    }

    function setRejectEth(bool reject) external {
        rejectEth = reject;
    }

    /// @dev Makes the attacker itself call `to` with `value` wei and `data`; bubbles a revert.
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
        if (rejectEth) revert AttackerRejected();
        if (reentriesLeft != 0) {
            reentriesLeft -= 1;
            reentriesAttempted += 1;
            (bool ok, ) = target.call(reentryData);
            if (ok) reentriesSucceeded += 1;
        }
    }
}
