// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev Test only: an ERC-20 that refuses transfers to one address, as tokens with block lists do.
contract MockBlockingERC20 is ERC20 {
    address public blocked;

    error MockBlockingERC20Blocked(address to);

    constructor() ERC20("Blocking", "BLK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account) external {
        blocked = account;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (to != address(0) && to == blocked) revert MockBlockingERC20Blocked(to);
        super._update(from, to, value);
    }
}
