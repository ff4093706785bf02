// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CreatorToken} from "./CreatorToken.sol";

/// @dev Test only: an account the driver acts through.
contract MockDriverFan {
    address private immutable _driver;

    error MockDriverFanUnauthorized();

    constructor() {
        _driver = msg.sender;
    }

    receive() external payable {}

    function act(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        if (msg.sender != _driver) revert MockDriverFanUnauthorized();
        (bool ok, bytes memory result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        return result;
    }
}

/**
 * @dev Test only: runs a whole sequence of trades by several accounts against a {CreatorToken} in
 * one transaction, so a property test can try hundreds of sequences quickly. After every step it
 * emits the token's state for the test to check against its own model; it reverts if a quote
 * differs from what the trade charged or paid, or if a round trip gained anything.
 */
contract MockCurveDriver {
    uint8 internal constant BUY = 0;
    uint8 internal constant SELL = 1; // `amount` is a percentage of the fan's balance
    uint8 internal constant TRANSFER = 2; // likewise
    uint8 internal constant ROUND_TRIP = 3; // buy `amount`, sell it back at once
    uint8 internal constant SELL_ALL = 4;

    struct Step {
        uint8 op;
        uint8 who;
        uint8 to;
        uint256 amount;
    }

    MockDriverFan[] public fans;

    event StepDone(
        uint256 index,
        uint256 supply,
        uint256 reserve,
        uint256 balance,
        uint256 heldFees,
        uint256 quoteSellAll,
        uint256 paid,
        uint256 received
    );

    error QuoteMismatch(uint256 index, uint256 quoted, uint256 actual);
    error RoundTripGained(uint256 index, uint256 cost, uint256 proceeds);

    constructor(uint256 nFans) {
        for (uint256 i = 0; i < nFans; ++i) fans.push(new MockDriverFan());
    }

    function run(CreatorToken token, Step[] calldata steps) external payable {
        uint256 paid;
        uint256 received;
        for (uint256 i = 0; i < steps.length; ++i) {
            Step calldata s = steps[i];
            MockDriverFan fan = fans[s.who];
            if (s.op == BUY) {
                if (s.amount > token.MAX_SUPPLY() - token.totalSupply()) continue;
                paid += _buy(token, fan, s.amount, i);
            } else if (s.op == SELL) {
                uint256 amount = (token.balanceOf(address(fan)) * s.amount) / 100;
                if (amount != 0) received += _sell(token, fan, amount, i);
            } else if (s.op == TRANSFER) {
                uint256 amount = (token.balanceOf(address(fan)) * s.amount) / 100;
                if (amount != 0) fan.act(address(token), 0, abi.encodeCall(token.transfer, (address(fans[s.to]), amount)));
            } else if (s.op == ROUND_TRIP) {
                uint256 cost = _buy(token, fan, s.amount, i);
                uint256 proceeds = _sell(token, fan, s.amount, i);
                if (proceeds > cost) revert RoundTripGained(i, cost, proceeds);
                paid += cost;
                received += proceeds;
            } else if (s.op == SELL_ALL) {
                for (uint256 j = 0; j < fans.length; ++j) {
                    uint256 balance = token.balanceOf(address(fans[j]));
                    if (balance != 0) received += _sell(token, fans[j], balance, i);
                }
            }
            uint256 supply = token.totalSupply();
            emit StepDone(
                i,
                supply,
                token.reserve(),
                address(token).balance,
                token.protocolFeesAccrued() + token.creatorFeesOwed(),
                supply == 0 ? 0 : token.quoteSell(supply),
                paid,
                received
            );
        }
    }

    function _buy(CreatorToken token, MockDriverFan fan, uint256 amount, uint256 i) private returns (uint256 cost) {
        uint256 quoted = token.quoteBuy(amount);
        bytes memory result = fan.act{value: quoted}(address(token), quoted, abi.encodeCall(token.buy, (amount, quoted, block.timestamp)));
        cost = abi.decode(result, (uint256));
        if (cost != quoted) revert QuoteMismatch(i, quoted, cost);
    }

    function _sell(CreatorToken token, MockDriverFan fan, uint256 amount, uint256 i) private returns (uint256 proceeds) {
        uint256 quoted = token.quoteSell(amount);
        uint256 before = address(fan).balance;
        fan.act(address(token), 0, abi.encodeCall(token.sell, (amount, quoted, block.timestamp)));
        proceeds = address(fan).balance - before;
        if (proceeds != quoted) revert QuoteMismatch(i, quoted, proceeds);
    }
}
