// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

/// @dev Test only: makes EIP-1167 clones of an implementation with immutable arguments, as a
/// factory does, but leaves them for the test to initialise (CollectiveShares owned by an
/// account, not by a timelock; its argument is its community's id).
contract MockCloner {
    event Cloned(address clone);

    function clone(address implementation, bytes calldata args) external returns (address instance) {
        instance = Clones.cloneWithImmutableArgs(implementation, args);
        emit Cloned(instance);
    }
}
