// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {CreatorToken, ICreatorTokenFactory} from "./CreatorToken.sol";
import {FeeSchedule} from "./FeeSchedule.sol";

/**
 * @dev Launches creator tokens: any address can launch exactly one {CreatorToken} for itself.
 *
 * Design decisions:
 *
 * - A token is an EIP-1167 minimal-proxy clone ({Clones}) of one implementation that this factory
 *   deploys in its constructor, so a launch costs a 45-byte contract and a few storage writes.
 * - The clone is created with CREATE2 and the creator's address as salt. Its address is therefore
 *   known in advance ({predictToken}) and "one token per creator" needs no mapping: a creator
 *   has launched exactly when code exists at its predicted address ({tokenOf}).
 * - The owner (two-step transfer, {Ownable2Step}) sets the protocol fee, capped at
 *   {MAX_PROTOCOL_FEE_BPS}, and its recipient. Tokens read the fee on every trade, so a change
 *   applies to every token at once: a decrease immediately, an increase
 *   {FeeSchedule-INCREASE_DELAY} after it is announced, so trades already sent (with a shorter
 *   deadline) never pay more than they were quoted.
 */
contract CreatorTokenFactory is Ownable2Step, ICreatorTokenFactory {
    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Constants and immutables
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev The highest protocol fee the owner can set: 5%.
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 500;

    /// @dev The creator fee a new token starts with (5%); its creator can change it.
    uint16 public constant INITIAL_CREATOR_FEE_BPS = 500;

    /// @dev Name and symbol lengths, in bytes: short enough to fit one storage slot each.
    uint256 public constant MAX_NAME_BYTES = 31;
    uint256 public constant MAX_SYMBOL_BYTES = 11;

    /// @dev The {CreatorToken} every launch clones.
    address public immutable implementation;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Storage
    // ─────────────────────────────────────────────────────────────────────────────────────────
    //
    // slot: | protocolFeeChangesAt (uint40) | nextProtocolFeeBps (uint16) | protocolFeeBps (uint16) | feeRecipient (address) |
    //
    // The three fee fields are a {FeeSchedule}: `protocolFeeBps` until `protocolFeeChangesAt`,
    // `nextProtocolFeeBps` from then on. A trade reads them in one slot.

    address private _feeRecipient;
    uint16 private _protocolFeeBps;
    uint16 private _nextProtocolFeeBps;
    uint40 private _protocolFeeChangesAt;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Events
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev `creator` launched `token` named `name` with symbol `symbol`.
    event TokenLaunched(address indexed creator, address indexed token, string name, string symbol);

    /// @dev The owner changed the protocol fee from `oldBps` to `newBps`, in force from `effectiveAt`
    /// (a timestamp: the block's own for a decrease, {FeeSchedule-INCREASE_DELAY} later for an increase).
    event ProtocolFeeUpdated(uint256 oldBps, uint256 newBps, uint256 effectiveAt);

    /// @dev The owner changed the protocol fee recipient from `oldRecipient` to `newRecipient`.
    event FeeRecipientUpdated(address indexed oldRecipient, address indexed newRecipient);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev `creator` already launched `token`.
    error FactoryAlreadyLaunched(address creator, address token);

    /// @dev A protocol fee of `bps`, above `max`.
    error FactoryFeeTooHigh(uint256 bps, uint256 max);

    /// @dev A fee recipient of the zero address.
    error FactoryInvalidFeeRecipient(address recipient);

    /// @dev A name of `length` bytes: empty or over {MAX_NAME_BYTES}.
    error FactoryInvalidName(uint256 length);

    /// @dev A symbol of `length` bytes: empty or over {MAX_SYMBOL_BYTES}.
    error FactoryInvalidSymbol(uint256 length);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Construction
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Deploys the token implementation with the curve parameters every token shares:
     * `basePrice` (wei per whole token at zero supply) and `slope` (wei per whole token, per whole
     * token of supply).
     */
    constructor(
        address initialOwner,
        address feeRecipient_,
        uint16 protocolFeeBps_,
        uint256 basePrice,
        uint256 slope
    ) Ownable(initialOwner) {
        implementation = address(new CreatorToken(basePrice, slope));
        _setFeeRecipient(feeRecipient_);
        _checkProtocolFee(protocolFeeBps_);
        (_protocolFeeBps, _nextProtocolFeeBps) = (protocolFeeBps_, protocolFeeBps_);
        emit ProtocolFeeUpdated(0, protocolFeeBps_, block.timestamp);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Launch
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Launches the caller's token, named `name` with symbol `symbol`, and returns its
     * address. Reverts with {FactoryAlreadyLaunched} on a second launch, and with
     * {FactoryInvalidName} or {FactoryInvalidSymbol} on an empty or too long name or symbol.
     */
    function launch(string calldata name, string calldata symbol) external returns (address token) {
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_BYTES) {
            revert FactoryInvalidName(bytes(name).length);
        }
        if (bytes(symbol).length == 0 || bytes(symbol).length > MAX_SYMBOL_BYTES) {
            revert FactoryInvalidSymbol(bytes(symbol).length);
        }
        address creator = _msgSender();
        address launched = predictToken(creator);
        if (launched.code.length != 0) revert FactoryAlreadyLaunched(creator, launched);

        token = Clones.cloneDeterministic(implementation, _salt(creator));
        CreatorToken(token).initialize(name, symbol, creator, INITIAL_CREATOR_FEE_BPS);
        emit TokenLaunched(creator, token, name, symbol);
    }

    /// @dev The token `creator` has launched, or the zero address if it has not.
    function tokenOf(address creator) external view returns (address token) {
        token = predictToken(creator);
        if (token.code.length == 0) token = address(0);
    }

    /// @dev The address `creator`'s token has, or will have once launched.
    function predictToken(address creator) public view returns (address) {
        return Clones.predictDeterministicAddress(implementation, _salt(creator));
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Protocol fee
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev The protocol fee in force, in basis points, charged by every token on every trade.
    function protocolFeeBps() public view override returns (uint16) {
        return FeeSchedule.feeAt(_protocolFeeBps, _nextProtocolFeeBps, _protocolFeeChangesAt, block.timestamp);
    }

    /// @dev The protocol fee from `effectiveAt` on (equal to {protocolFeeBps} when no increase is pending).
    function nextProtocolFee() external view returns (uint16 bps, uint256 effectiveAt) {
        return (_nextProtocolFeeBps, _protocolFeeChangesAt);
    }

    /// @dev Where tokens send accrued protocol fees.
    function feeRecipient() external view override returns (address) {
        return _feeRecipient;
    }

    /**
     * @dev Sets the protocol fee: a decrease at once, an increase {FeeSchedule-INCREASE_DELAY}
     * from now. Only the owner; reverts with {FactoryFeeTooHigh} above the cap.
     */
    function setProtocolFee(uint16 bps) external onlyOwner {
        _checkProtocolFee(bps);
        uint16 inForce = protocolFeeBps();
        (uint16 current, uint16 next, uint40 nextAt) = FeeSchedule.change(inForce, bps, block.timestamp);
        (_protocolFeeBps, _nextProtocolFeeBps, _protocolFeeChangesAt) = (current, next, nextAt);
        emit ProtocolFeeUpdated(inForce, bps, nextAt == 0 ? block.timestamp : nextAt);
    }

    /// @dev Sets the protocol fee recipient. Only the owner; not the zero address.
    function setFeeRecipient(address recipient) external onlyOwner {
        _setFeeRecipient(recipient);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Internal
    // ─────────────────────────────────────────────────────────────────────────────────────────

    function _checkProtocolFee(uint16 bps) private pure {
        if (bps > MAX_PROTOCOL_FEE_BPS) revert FactoryFeeTooHigh(bps, MAX_PROTOCOL_FEE_BPS);
    }

    function _setFeeRecipient(address recipient) private {
        if (recipient == address(0)) revert FactoryInvalidFeeRecipient(recipient);
        address old = _feeRecipient;
        _feeRecipient = recipient;
        emit FeeRecipientUpdated(old, recipient);
    }

    /// @dev One salt per creator: the CREATE2 address is then unique to the creator.
    function _salt(address creator) private pure returns (bytes32) {
        return bytes32(uint256(uint160(creator)));
    }
}
