// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev Test only: an ERC-20 that returns `false` instead of reverting, and moves nothing, when a
/// transfer would go to a refused account (as some old tokens do on failure).
contract MockFalseERC20 is ERC20 {
    mapping(address account => bool) public refused;

    constructor() ERC20("False", "FLS") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setRefused(address account, bool refuse) external {
        refused[account] = refuse;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (refused[to]) return false;
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (refused[to]) return false;
        return super.transferFrom(from, to, value);
    }
}

/// @dev Test only: an ERC-20 that burns 1% of every transfer (a fee-on-transfer token).
contract MockFeeERC20 is ERC20 {
    constructor() ERC20("Fee", "FEE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}

/// @dev Test only: sends its whole balance to `to` by `selfdestruct`, which no `receive` can refuse.
contract MockForceSend {
    constructor(address payable to) payable {
        selfdestruct(to);
    }
}

/// @dev Test only: an ERC-20 whose `balanceOf` can be made to burn all the gas it is given (a
/// token that breaks, or that whoever controls it breaks on purpose).
contract MockBrokenERC20 is ERC20 {
    bool public broken;

    constructor() ERC20("Broken", "BRK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBroken(bool broken_) external {
        broken = broken_;
    }

    function balanceOf(address account) public view override returns (uint256) {
        if (broken) {
            while (true) {}
        }
        return super.balanceOf(account);
    }
}
