// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockControllerUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";

/**
 * @dev The timelock of a collective: OpenZeppelin's `TimelockControllerUpgradeable` unchanged, as
 * an implementation for EIP-1167 clones (OpenZeppelin 5's `TimelockController` sets itself up in
 * its constructor, which a clone never runs). The {CollectiveFactory} initialises each clone in
 * the launch transaction; this constructor disables the implementation's own initializer, so
 * nobody can take the implementation's roles.
 */
contract CollectiveTimelock is TimelockControllerUpgradeable {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }
}
