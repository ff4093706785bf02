// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

/// @dev Test only: makes EIP-1167 clones of an implementation, as a factory will (for contracts
/// whose factory does not exist yet, such as CollectiveShares).
contract MockCloner {
    event Cloned(address clone);

    function clone(address implementation) external returns (address instance) {
        instance = Clones.clone(implementation);
        emit Cloned(instance);
    }
}
