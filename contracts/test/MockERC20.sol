// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @dev Test only: a plain OpenZeppelin ERC-20 with permit that anyone can mint, and that can
/// refuse transfers to one address (as tokens with block lists do).
contract MockERC20 is ERC20, ERC20Permit {
    address public blocked;

    error MockERC20Blocked(address to);

    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) ERC20Permit(name_) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account) external {
        blocked = account;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (to != address(0) && to == blocked) revert MockERC20Blocked(to);
        super._update(from, to, value);
    }
}
