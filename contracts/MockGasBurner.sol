// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev Test only: a recipient whose `receive` burns all the gas it is given.
contract MockGasBurner {
    receive() external payable {
        while (true) {}
    }
}
