// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {ERC20PermitUpgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20PermitUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {EthPush} from "./EthPush.sol";
import {FeeSchedule} from "./FeeSchedule.sol";

/// @dev The part of {CreatorTokenFactory} a token reads on every trade.
interface ICreatorTokenFactory {
    function protocolFeeBps() external view returns (uint16);
    function feeRecipient() external view returns (address);
}

/**
 * @dev A creator's social token: a plain transferable ERC-20 with EIP-2612 permit, minted by
 * buying and burned by selling against ETH on a linear bonding curve. The token contract itself
 * holds the curve's reserve.
 *
 * Design decisions:
 *
 * - Each token is an EIP-1167 minimal-proxy clone of one implementation, launched by
 *   {CreatorTokenFactory}; {initialize} replaces the constructor. The curve parameters and the
 *   factory address are immutables of the implementation, so every clone shares them for free.
 * - Price per whole token at supply `s` (in base units): `p(s) = basePrice + slope * s / 1e18`.
 *   The reserve at supply `s` is the integral of the price, rounded up:
 *   `R(s) = ceil(basePrice * s / 1e18) + ceil(slope * s^2 / 2e36)`. A buy of `n` costs exactly
 *   `R(s + n) - R(s)` and a sell returns exactly `R(s) - R(s - n)` (before fees). The reserve is
 *   therefore a function of the supply alone: whatever the order of trades, the ETH backing the
 *   curve equals `R(totalSupply())`, so selling back the whole supply is always covered and no
 *   sequence of buys and sells can extract rounding dust. {reserve} returns `R(totalSupply())`.
 * - Fees are charged on top of the curve amount on a buy and taken out of it on a sell, both
 *   rounded up (in favour of the reserve side, against the trader). The creator fee is pushed to
 *   the creator with a bounded gas allowance; if that fails it is credited and the creator pulls
 *   it with {withdrawCreatorFees}. The protocol fee (set by the factory owner, capped there)
 *   accrues here and anyone can sweep it to the factory's fee recipient with
 *   {withdrawProtocolFees}. Fee balances are never part of the reserve.
 * - Buys and sells are `nonReentrant` (transient storage, so clones need no initialisation for
 *   it) and follow checks-effects-interactions: tokens are minted or burned before any ETH moves.
 * - A trade carries a slippage bound (`maxCost`, `minProceeds`) and a `deadline` after which it
 *   reverts, as Uniswap's routers do, so a transaction left in the mempool cannot execute at a
 *   price from long after it was signed. Fee increases, the creator's and the protocol's, apply
 *   {FeeSchedule-INCREASE_DELAY} after they are announced; decreases apply at once. A trade sent
 *   with a deadline shorter than that delay never pays a fee higher than the one it was quoted.
 * - The EIP-712 domain (for {permit}) is derived from {name} and the constant version "1" rather
 *   than stored, which saves two storage writes per launch.
 */
contract CreatorToken is Initializable, ERC20PermitUpgradeable, ReentrancyGuardTransient {
    using SafeCast for uint256;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Constants
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Basis points in 100%.
    uint256 private constant BPS = 10_000;

    /// @dev The highest creator fee a creator can set: 10%.
    uint16 public constant MAX_CREATOR_FEE_BPS = 1_000;

    /// @dev Supply cap, one billion whole tokens: keeps `slope * s^2` far from overflow.
    uint256 public constant MAX_SUPPLY = 1e9 * 1e18;

    /// @dev One whole token in base units (18 decimals).
    uint256 private constant WAD = 1e18;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Immutables (in the implementation's code, shared by every clone)
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev The factory that launched this token and that sets the protocol fee.
    ICreatorTokenFactory private immutable _factory;

    /// @dev Price in wei of a whole token at zero supply.
    uint256 private immutable _basePrice;

    /// @dev Price increase in wei of a whole token per whole token of supply.
    uint256 private immutable _slope;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Storage (per clone)
    // ─────────────────────────────────────────────────────────────────────────────────────────
    //
    // slot 0: | creatorFeeChangesAt (uint40) | nextCreatorFeeBps (uint16) | creatorFeeBps (uint16) | creator (address) |
    // slot 1: | creatorFeesOwed (uint128) | protocolFeesAccrued (uint128) |
    //
    // A trade reads slot 0 and, when a protocol fee is set, writes slot 1. The three fee fields
    // are a {FeeSchedule}: `creatorFeeBps` until `creatorFeeChangesAt`, `nextCreatorFeeBps` from then on.

    address private _creator;
    uint16 private _creatorFeeBps;
    uint16 private _nextCreatorFeeBps;
    uint40 private _creatorFeeChangesAt;
    uint128 private _protocolFeesAccrued;
    uint128 private _creatorFeesOwed;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Events
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev `buyer` bought `amount` base units for `cost` wei in total, of which `creatorFee` and
     * `protocolFee` are the fees (the rest went to the reserve). `supply` is the total supply
     * after the trade, so an indexer can derive price and reserve without a call.
     */
    event Bought(
        address indexed buyer,
        uint256 amount,
        uint256 cost,
        uint256 creatorFee,
        uint256 protocolFee,
        uint256 supply
    );

    /**
     * @dev `seller` sold `amount` base units and received `proceeds` wei, after `creatorFee` and
     * `protocolFee` were taken out of what the reserve paid. `supply` is the total supply after
     * the trade.
     */
    event Sold(
        address indexed seller,
        uint256 amount,
        uint256 proceeds,
        uint256 creatorFee,
        uint256 protocolFee,
        uint256 supply
    );

    /// @dev The creator changed its fee from `oldBps` to `newBps`, in force from `effectiveAt` (a
    /// timestamp: the block's own for a decrease, {FeeSchedule-INCREASE_DELAY} later for an increase).
    event CreatorFeeUpdated(uint256 oldBps, uint256 newBps, uint256 effectiveAt);

    /// @dev A creator fee of `amount` wei could not be pushed to `creator` and was credited.
    event CreatorFeeDeferred(address indexed creator, uint256 amount);

    /// @dev The creator withdrew `amount` wei of credited fees to `to`.
    event CreatorFeesWithdrawn(address indexed to, uint256 amount);

    /// @dev `amount` wei of accrued protocol fees were sent to `recipient`.
    event ProtocolFeesWithdrawn(address indexed recipient, uint256 amount);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev A buy or sell of zero tokens.
    error CreatorTokenZeroAmount();

    /// @dev A trade mined at `timestamp`, after its `deadline`.
    error CreatorTokenDeadlinePassed(uint256 deadline, uint256 timestamp);

    /// @dev A buy would cost `cost` wei, more than the buyer's `maxCost`.
    error CreatorTokenMaxCostExceeded(uint256 cost, uint256 maxCost);

    /// @dev A sell would return `proceeds` wei, less than the seller's `minProceeds`.
    error CreatorTokenMinProceedsNotMet(uint256 proceeds, uint256 minProceeds);

    /// @dev A buy sent `value` wei where it costs `cost`.
    error CreatorTokenInsufficientPayment(uint256 value, uint256 cost);

    /// @dev A buy of `amount` would take the supply past {MAX_SUPPLY}.
    error CreatorTokenSupplyCapExceeded(uint256 amount, uint256 supply);

    /// @dev A sell quote for `amount`, more than the whole `supply`.
    error CreatorTokenAmountExceedsSupply(uint256 amount, uint256 supply);

    /// @dev `account` is not the creator of this token.
    error CreatorTokenUnauthorized(address account);

    /// @dev A creator fee of `bps`, above {MAX_CREATOR_FEE_BPS}.
    error CreatorTokenFeeTooHigh(uint256 bps, uint256 max);

    /// @dev Nothing to withdraw.
    error CreatorTokenNothingToWithdraw();

    /// @dev A withdrawal to the zero address.
    error CreatorTokenInvalidRecipient(address to);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Construction and initialisation
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Deployed once, by the factory (`msg.sender`), as the implementation of every clone.
     * The implementation itself can never be initialised.
     */
    constructor(uint256 basePrice_, uint256 slope_) {
        _factory = ICreatorTokenFactory(msg.sender);
        _basePrice = basePrice_;
        _slope = slope_;
        _disableInitializers();
    }

    /**
     * @dev Sets up a freshly launched clone. Only the factory calls it, in the same transaction
     * that creates the clone; a second call reverts with {InvalidInitialization}.
     */
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address creator_,
        uint16 creatorFeeBps_
    ) external initializer {
        if (msg.sender != address(_factory)) revert CreatorTokenUnauthorized(msg.sender);
        if (creatorFeeBps_ > MAX_CREATOR_FEE_BPS) revert CreatorTokenFeeTooHigh(creatorFeeBps_, MAX_CREATOR_FEE_BPS);
        __ERC20_init(name_, symbol_);
        _creator = creator_;
        (_creatorFeeBps, _nextCreatorFeeBps) = (creatorFeeBps_, creatorFeeBps_);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Trading
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Mints `amount` base units to the caller for {quoteBuy}`(amount)` wei, refunding any
     * excess `msg.value`. Returns the total cost.
     *
     * Reverts with {CreatorTokenDeadlinePassed} when mined after `deadline` (a timestamp),
     * {CreatorTokenMaxCostExceeded} when the cost is above `maxCost` (the slippage bound),
     * {CreatorTokenInsufficientPayment} when `msg.value` is below the cost,
     * {CreatorTokenZeroAmount} and {CreatorTokenSupplyCapExceeded} on a bad `amount`.
     */
    function buy(
        uint256 amount,
        uint256 maxCost,
        uint256 deadline
    ) external payable nonReentrant returns (uint256 cost) {
        _checkDeadline(deadline);
        uint256 supply = totalSupply();
        (uint256 curveCost, uint256 creatorFee, uint256 protocolFee) = _priceBuy(amount, supply);
        cost = curveCost + creatorFee + protocolFee;
        if (cost > maxCost) revert CreatorTokenMaxCostExceeded(cost, maxCost);
        if (msg.value < cost) revert CreatorTokenInsufficientPayment(msg.value, cost);

        _mint(_msgSender(), amount);
        emit Bought(_msgSender(), amount, cost, creatorFee, protocolFee, supply + amount);

        _collectFees(creatorFee, protocolFee);
        if (msg.value > cost) {
            // The buyer's own refund: a buyer that cannot receive it should not have overpaid.
            Address.sendValue(payable(_msgSender()), msg.value - cost);
        }
    }

    /**
     * @dev Burns `amount` base units of the caller's and pays it {quoteSell}`(amount)` wei.
     * Returns the proceeds.
     *
     * Reverts with {CreatorTokenDeadlinePassed} when mined after `deadline` (a timestamp),
     * {CreatorTokenMinProceedsNotMet} when the proceeds are below `minProceeds` (the slippage
     * bound), {ERC20InsufficientBalance} when the caller holds less than `amount`, and
     * {CreatorTokenZeroAmount} on a zero `amount`.
     */
    function sell(
        uint256 amount,
        uint256 minProceeds,
        uint256 deadline
    ) external nonReentrant returns (uint256 proceeds) {
        _checkDeadline(deadline);
        uint256 supply = totalSupply();
        uint256 creatorFee;
        uint256 protocolFee;
        (proceeds, creatorFee, protocolFee) = _priceSell(amount, supply);
        if (proceeds < minProceeds) revert CreatorTokenMinProceedsNotMet(proceeds, minProceeds);

        _burn(_msgSender(), amount);
        emit Sold(_msgSender(), amount, proceeds, creatorFee, protocolFee, supply - amount);

        _collectFees(creatorFee, protocolFee);
        Address.sendValue(payable(_msgSender()), proceeds);
    }

    /// @dev The exact wei {buy}`(amount, ...)` charges in this block, fees included.
    function quoteBuy(uint256 amount) external view returns (uint256 cost) {
        (uint256 curveCost, uint256 creatorFee, uint256 protocolFee) = _priceBuy(amount, totalSupply());
        return curveCost + creatorFee + protocolFee;
    }

    /// @dev The exact wei {sell}`(amount, ...)` pays in this block, fees deducted.
    function quoteSell(uint256 amount) external view returns (uint256 proceeds) {
        (proceeds, , ) = _priceSell(amount, totalSupply());
    }

    /// @dev Price in wei of a whole token at the current supply (the marginal price).
    function spotPrice() external view returns (uint256) {
        return _basePrice + Math.mulDiv(_slope, totalSupply(), WAD);
    }

    /// @dev The ETH backing the curve: exactly what selling back the whole supply returns before fees.
    function reserve() public view returns (uint256) {
        return _reserveAt(totalSupply());
    }

    /// @dev The curve's reserve at supply `supply`, see the contract's `@dev`.
    function reserveAt(uint256 supply) external view returns (uint256) {
        return _reserveAt(supply);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Fees
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Sets the creator fee to `bps` basis points of each trade's curve amount: a decrease at
     * once, an increase {FeeSchedule-INCREASE_DELAY} from now (see {FeeSchedule}).
     * Only the creator; reverts with {CreatorTokenFeeTooHigh} above {MAX_CREATOR_FEE_BPS}.
     */
    function setCreatorFee(uint16 bps) external {
        _checkCreator();
        if (bps > MAX_CREATOR_FEE_BPS) revert CreatorTokenFeeTooHigh(bps, MAX_CREATOR_FEE_BPS);
        uint16 inForce = creatorFeeBps();
        (uint16 current, uint16 next, uint40 nextAt) = FeeSchedule.change(inForce, bps, block.timestamp);
        (_creatorFeeBps, _nextCreatorFeeBps, _creatorFeeChangesAt) = (current, next, nextAt);
        emit CreatorFeeUpdated(inForce, bps, nextAt == 0 ? block.timestamp : nextAt);
    }

    /**
     * @dev Sends the creator fees that could not be pushed to `to`. Only the creator; reverts
     * with {CreatorTokenNothingToWithdraw} when none are owed.
     */
    function withdrawCreatorFees(address payable to) external nonReentrant {
        _checkCreator();
        if (to == address(0)) revert CreatorTokenInvalidRecipient(to);
        uint256 amount = _creatorFeesOwed;
        if (amount == 0) revert CreatorTokenNothingToWithdraw();
        _creatorFeesOwed = 0;
        emit CreatorFeesWithdrawn(to, amount);
        Address.sendValue(to, amount);
    }

    /**
     * @dev Sends the accrued protocol fees to the factory's fee recipient. Anyone may call it:
     * the recipient is fixed by the factory owner. Reverts with {CreatorTokenNothingToWithdraw}
     * when none have accrued.
     */
    function withdrawProtocolFees() external nonReentrant {
        uint256 amount = _protocolFeesAccrued;
        if (amount == 0) revert CreatorTokenNothingToWithdraw();
        _protocolFeesAccrued = 0;
        address recipient = _factory.feeRecipient();
        emit ProtocolFeesWithdrawn(recipient, amount);
        Address.sendValue(payable(recipient), amount);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Views
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev The account that launched this token and receives its creator fee.
    function creator() external view returns (address) {
        return _creator;
    }

    /// @dev The creator fee in force, in basis points.
    function creatorFeeBps() public view returns (uint16) {
        return FeeSchedule.feeAt(_creatorFeeBps, _nextCreatorFeeBps, _creatorFeeChangesAt, block.timestamp);
    }

    /// @dev The creator fee from `effectiveAt` on (equal to {creatorFeeBps} when no increase is pending).
    function nextCreatorFee() external view returns (uint16 bps, uint256 effectiveAt) {
        return (_nextCreatorFeeBps, _creatorFeeChangesAt);
    }

    /// @dev Creator fees credited after a failed push, waiting for {withdrawCreatorFees}.
    function creatorFeesOwed() external view returns (uint256) {
        return _creatorFeesOwed;
    }

    /// @dev Protocol fees waiting for {withdrawProtocolFees}.
    function protocolFeesAccrued() external view returns (uint256) {
        return _protocolFeesAccrued;
    }

    /// @dev The factory that launched this token.
    function factory() external view returns (address) {
        return address(_factory);
    }

    /// @dev The curve's parameters: price of a whole token at zero supply, and its slope (wei).
    function curve() external view returns (uint256 basePrice, uint256 slope) {
        return (_basePrice, _slope);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Internal
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev The EIP-712 domain name is the token name (as {ERC20Permit} does), read, not stored.
    function _EIP712Name() internal view override returns (string memory) {
        return name();
    }

    /// @dev The EIP-712 domain version, "1" as in {ERC20Permit}.
    function _EIP712Version() internal pure override returns (string memory) {
        return "1";
    }

    /// @dev `R(supply)`: see the contract's `@dev`. Each term is monotonic, hence so is `R`.
    function _reserveAt(uint256 supply) private view returns (uint256) {
        return
            Math.mulDiv(_basePrice, supply, WAD, Math.Rounding.Ceil) +
            Math.mulDiv(_slope * supply, supply, 2 * WAD * WAD, Math.Rounding.Ceil);
    }

    function _priceBuy(
        uint256 amount,
        uint256 supply
    ) private view returns (uint256 curveCost, uint256 creatorFee, uint256 protocolFee) {
        if (amount == 0) revert CreatorTokenZeroAmount();
        if (amount > MAX_SUPPLY - supply) revert CreatorTokenSupplyCapExceeded(amount, supply);
        curveCost = _reserveAt(supply + amount) - _reserveAt(supply);
        (creatorFee, protocolFee) = _fees(curveCost);
    }

    function _priceSell(
        uint256 amount,
        uint256 supply
    ) private view returns (uint256 proceeds, uint256 creatorFee, uint256 protocolFee) {
        if (amount == 0) revert CreatorTokenZeroAmount();
        if (amount > supply) revert CreatorTokenAmountExceedsSupply(amount, supply);
        uint256 curveRefund = _reserveAt(supply) - _reserveAt(supply - amount);
        (creatorFee, protocolFee) = _fees(curveRefund);
        // Rounded up, the fees on a refund of one or two wei could exceed it: clip them so that the
        // fees never come out of the reserve.
        if (creatorFee > curveRefund) creatorFee = curveRefund;
        if (protocolFee > curveRefund - creatorFee) protocolFee = curveRefund - creatorFee;
        // Cannot underflow: clipped just above.
        unchecked {
            proceeds = curveRefund - creatorFee - protocolFee;
        }
    }

    /// @dev Both fees in force on a curve amount, rounded up (against the trader).
    function _fees(uint256 curveAmount) private view returns (uint256 creatorFee, uint256 protocolFee) {
        creatorFee = Math.mulDiv(curveAmount, creatorFeeBps(), BPS, Math.Rounding.Ceil);
        uint256 protocolBps = _factory.protocolFeeBps();
        if (protocolBps != 0) protocolFee = Math.mulDiv(curveAmount, protocolBps, BPS, Math.Rounding.Ceil);
    }

    /// @dev Accrues the protocol fee and pushes the creator fee, crediting it if the push fails.
    function _collectFees(uint256 creatorFee, uint256 protocolFee) private {
        if (protocolFee != 0) _protocolFeesAccrued += protocolFee.toUint128();
        if (creatorFee != 0) {
            address creator_ = _creator;
            if (!EthPush.tryPush(creator_, creatorFee)) {
                _creatorFeesOwed += creatorFee.toUint128();
                emit CreatorFeeDeferred(creator_, creatorFee);
            }
        }
    }

    function _checkDeadline(uint256 deadline) private view {
        if (block.timestamp > deadline) revert CreatorTokenDeadlinePassed(deadline, block.timestamp);
    }

    function _checkCreator() private view {
        if (_msgSender() != _creator) revert CreatorTokenUnauthorized(_msgSender());
    }
}
