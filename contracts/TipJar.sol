// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {EthPush} from "./EthPush.sol";

/**
 * @dev Tips for creators, in ETH or any ERC-20 (creator tokens included), each tied to a post.
 *
 * Design decisions:
 *
 * - The jar holds nothing on the happy path. An ETH tip is forwarded at once to the creator (or
 *   to each account of its split) and an ERC-20 tip moves straight from the tipper to them with
 *   `transferFrom`; the only storage a tip reads is the creator's split. That keeps a tip within
 *   a small multiple of a plain transfer.
 * - A recipient that cannot take its share does not block the tip: an ETH push gets a bounded gas
 *   allowance ({EthPush}) and, if it fails, the share is credited to the recipient, who pulls it
 *   with {withdraw}. Likewise an ERC-20 share the token refuses to move to the recipient is moved
 *   into the jar and credited.
 * - One event per tip carries everything an indexer needs: {Tipped} for ether, {TokenTipped} for
 *   an ERC-20 (creator, tipper, token, post, amount, memo). Ether tips have their own event,
 *   without a token field, because their gas budget is tight (within 1.8x a plain transfer): a
 *   fourth topic or a data word costs 250-375 gas. How the amount was divided follows from the
 *   creator's split, which {SplitUpdated} records in full; credits show as {PaymentDeferred}.
 * - A creator's split lists accounts with shares in basis points summing to 10,000. Each account
 *   receives `amount * bps / 10_000` rounded down; the creator receives the rest (the dust), in
 *   addition to its own share if it lists itself.
 * - A tip pays out of what it brought and nothing else. Every push hands control to a recipient,
 *   which may try to call back into the jar, so every entry point that moves funds or changes a
 *   split is `nonReentrant` (transient storage: about 350 gas), and a tip also divides its amount
 *   among the split's accounts in memory, from one read of the split, before the first push
 *   ({_divide}): even a split that changed during the payout could not change it, and the parts
 *   never add up to more than the amount (checked arithmetic, no `unchecked`). The jar's balance
 *   of ether and of each token is therefore always the sum of its credits (plus anything forced
 *   on it with `selfdestruct`, which nobody can withdraw and no rule reads).
 * - Tokens that deliver less than they are asked to move (fee-on-transfer, rebasing down) are
 *   refused with {TipJarDeliveryMismatch}: the {TokenTipped} amount is exactly what the
 *   recipients got, and a credit exactly what the jar holds. Tokens that return `false` instead
 *   of reverting are handled by {SafeERC20}.
 * - There is no owner and no admin: the only configuration, a split, belongs to its creator.
 */
contract TipJar is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Constants
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Basis points in 100%.
    uint256 private constant BPS = 10_000;

    /// @dev Longest memo, in bytes of UTF-8.
    uint256 public constant MAX_MEMO_BYTES = 280;

    /// @dev Most accounts in one split: bounds the gas of a split tip.
    uint256 public constant MAX_SPLIT_ACCOUNTS = 10;

    /// @dev The `token` of an ETH tip, in events and in {pendingWithdrawal}.
    address public constant ETH = address(0);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Storage
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev One account of a split and its share; packed into one slot.
    struct Share {
        address account;
        uint16 bps;
    }

    mapping(address creator => Share[]) private _splits;
    mapping(address account => mapping(address token => uint256)) private _pending;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Events
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev `tipper` tipped `creator` `amount` wei of ether for the post `postId` (zero when the tip
     * is for no post in particular), with `memo`. Emitted once per ETH tip, whatever the split;
     * shares that could not be delivered show as {PaymentDeferred}.
     */
    event Tipped(address indexed creator, address indexed tipper, bytes32 postId, uint256 amount, string memo);

    /**
     * @dev `tipper` tipped `creator` `amount` of the ERC-20 `token` for the post `postId`, with
     * `memo`. Emitted once per token tip, whatever the split.
     */
    event TokenTipped(
        address indexed creator,
        address indexed tipper,
        address indexed token,
        bytes32 postId,
        uint256 amount,
        string memo
    );

    /// @dev `creator` set its split to `accounts` with shares `bps` (empty: no split).
    event SplitUpdated(address indexed creator, address[] accounts, uint16[] bps);

    /// @dev `amount` of `token` could not be delivered to `account` and was credited to it.
    event PaymentDeferred(address indexed account, address indexed token, uint256 amount);

    /// @dev `account` withdrew its credited `amount` of `token` to `to`.
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev A tip of zero.
    error TipJarZeroAmount();

    /// @dev A tip to the zero address or to the jar itself.
    error TipJarInvalidCreator(address creator);

    /// @dev A memo of `length` bytes, over `max`.
    error TipJarMemoTooLong(uint256 length, uint256 max);

    /// @dev A split with `accounts` accounts and `shares` shares.
    error TipJarSplitLengthMismatch(uint256 accounts, uint256 shares);

    /// @dev A split of `accounts` accounts, over `max`.
    error TipJarTooManyAccounts(uint256 accounts, uint256 max);

    /// @dev A split entry `index` with the zero address, the jar itself or a zero share.
    error TipJarInvalidShare(uint256 index);

    /// @dev A split whose shares sum to `total` instead of 10,000.
    error TipJarSharesNotWhole(uint256 total);

    /// @dev Nothing credited to `account` in `token`.
    error TipJarNothingToWithdraw(address account, address token);

    /// @dev A withdrawal to the zero address.
    error TipJarInvalidRecipient(address to);

    /// @dev `token` delivered `received` to `to` where `sent` was moved: a fee-on-transfer or
    /// rebasing token, which the jar refuses.
    error TipJarDeliveryMismatch(address token, address to, uint256 sent, uint256 received);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Tipping
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Tips `creator` `msg.value` wei for the post `postId`, with `memo`.
     * Reverts with {TipJarZeroAmount}, {TipJarInvalidCreator} or {TipJarMemoTooLong}.
     *
     * A recipient that calls back into the jar while its share is pushed finds every entry point
     * locked ({ReentrancyGuardTransient}), and the payout was fixed in memory before the first push.
     */
    function tip(address creator, bytes32 postId, string calldata memo) external payable nonReentrant {
        _checkTip(creator, msg.value, memo);
        emit Tipped(creator, msg.sender, postId, msg.value, memo);
        if (_splits[creator].length == 0) return _pushEth(creator, msg.value);
        (address[] memory accounts, uint256[] memory parts) = _divide(creator, msg.value);
        for (uint256 i = 0; i < accounts.length; ++i) {
            if (parts[i] != 0) _pushEth(accounts[i], parts[i]);
        }
    }

    /**
     * @dev Tips `creator` `amount` of `token` for the post `postId`, with `memo`. The jar must be
     * approved to spend `amount` of the caller's `token`.
     */
    function tipToken(
        IERC20 token,
        address creator,
        uint256 amount,
        bytes32 postId,
        string calldata memo
    ) external nonReentrant {
        _tipToken(token, creator, amount, postId, memo);
    }

    /**
     * @dev Same as {tipToken}, but approves the jar first with an EIP-2612 permit signed by the
     * caller (`deadline`, `v`, `r`, `s`), so no prior `approve` transaction is needed.
     *
     * A failed permit does not revert by itself: someone may have submitted the same signature
     * first (front-running), in which case the allowance is already there. If it is not, the
     * transfer reverts with the token's insufficient-allowance error.
     */
    function tipTokenWithPermit(
        IERC20 token,
        address creator,
        uint256 amount,
        bytes32 postId,
        string calldata memo,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _tipToken(token, creator, amount, postId, memo);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Splits
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Sets the caller's split: tips to the caller are divided among `accounts` by `bps`,
     * which must sum to 10,000; the caller gets the rounding dust. Empty arrays remove the split.
     *
     * Reverts with {TipJarSplitLengthMismatch}, {TipJarTooManyAccounts}, {TipJarInvalidShare} (zero
     * address, the jar, or a zero share) or {TipJarSharesNotWhole}. `nonReentrant`: a recipient
     * paid by a tip cannot change a split while that tip is paying out.
     */
    function setSplit(address[] calldata accounts, uint16[] calldata bps) external nonReentrant {
        uint256 n = accounts.length;
        if (n != bps.length) revert TipJarSplitLengthMismatch(n, bps.length);
        if (n > MAX_SPLIT_ACCOUNTS) revert TipJarTooManyAccounts(n, MAX_SPLIT_ACCOUNTS);

        Share[] storage shares = _splits[msg.sender];
        delete _splits[msg.sender];
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            if (accounts[i] == address(0) || accounts[i] == address(this) || bps[i] == 0) revert TipJarInvalidShare(i);
            total += bps[i];
            shares.push(Share(accounts[i], bps[i]));
        }
        if (n != 0 && total != BPS) revert TipJarSharesNotWhole(total);
        emit SplitUpdated(msg.sender, accounts, bps);
    }

    /// @dev `creator`'s split: accounts and their shares in basis points (empty: no split).
    function splitOf(address creator) external view returns (address[] memory accounts, uint16[] memory bps) {
        Share[] storage shares = _splits[creator];
        uint256 n = shares.length;
        accounts = new address[](n);
        bps = new uint16[](n);
        for (uint256 i = 0; i < n; ++i) {
            (accounts[i], bps[i]) = (shares[i].account, shares[i].bps);
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Withdrawals (the pull side of failed pushes)
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev What `account` can withdraw of `token` ({ETH} for ether).
    function pendingWithdrawal(address account, address token) external view returns (uint256) {
        return _pending[account][token];
    }

    /**
     * @dev Sends everything credited to the caller in `token` ({ETH} for ether) to `to`.
     * Reverts with {TipJarNothingToWithdraw} when nothing is credited.
     */
    function withdraw(address token, address payable to) external nonReentrant {
        if (to == address(0)) revert TipJarInvalidRecipient(to);
        address account = msg.sender;
        uint256 amount = _pending[account][token];
        if (amount == 0) revert TipJarNothingToWithdraw(account, token);
        _pending[account][token] = 0;
        emit Withdrawn(account, token, to, amount);
        if (token == ETH) {
            Address.sendValue(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Internal
    // ─────────────────────────────────────────────────────────────────────────────────────────

    function _tipToken(IERC20 token, address creator, uint256 amount, bytes32 postId, string calldata memo) private {
        _checkTip(creator, amount, memo);
        address tipper = msg.sender;
        emit TokenTipped(creator, tipper, address(token), postId, amount, memo);
        if (_splits[creator].length == 0) return _pushToken(token, tipper, creator, amount);
        (address[] memory accounts, uint256[] memory parts) = _divide(creator, amount);
        for (uint256 i = 0; i < accounts.length; ++i) {
            if (parts[i] != 0) _pushToken(token, tipper, accounts[i], parts[i]);
        }
    }

    /**
     * @dev How a tip of `amount` to `creator`, who has a split, is paid: `parts[i]` to
     * `accounts[i]`, the split's accounts in order, then the creator with the rest (the rounding
     * dust). A creator without a split is paid directly, without this copy, which keeps the
     * common tip cheap. Read from storage once, before any payment, so a split changed by a
     * recipient during the payout cannot change it. The parts sum to exactly `amount`: the
     * shares sum to 10,000 bps, so the rounded-down parts sum to at most `amount`, and `rest` is
     * checked arithmetic all the same.
     */
    function _divide(
        address creator,
        uint256 amount
    ) private view returns (address[] memory accounts, uint256[] memory parts) {
        Share[] storage shares = _splits[creator];
        uint256 n = shares.length;
        accounts = new address[](n + 1);
        parts = new uint256[](n + 1);
        uint256 rest = amount;
        for (uint256 i = 0; i < n; ++i) {
            Share memory share = shares[i];
            uint256 part = (amount * share.bps) / BPS;
            accounts[i] = share.account;
            parts[i] = part;
            rest -= part;
        }
        accounts[n] = creator;
        parts[n] = rest;
    }

    function _checkTip(address creator, uint256 amount, string calldata memo) private view {
        if (amount == 0) revert TipJarZeroAmount();
        // The jar itself cannot be tipped: what it received would be nobody's credit.
        if (creator == address(0) || creator == address(this)) revert TipJarInvalidCreator(creator);
        if (bytes(memo).length > MAX_MEMO_BYTES) revert TipJarMemoTooLong(bytes(memo).length, MAX_MEMO_BYTES);
    }

    /// @dev Sends `amount` wei to `to`, or credits it if `to` does not take it.
    function _pushEth(address to, uint256 amount) private {
        if (!EthPush.tryPush(to, amount)) _credit(to, ETH, amount);
    }

    /**
     * @dev Moves `amount` of `token` from `from` to `to`. If the token refuses that transfer (for
     * instance a token that blocks `to`), moves it into the jar instead and credits `to`. A
     * failure to move it at all (no allowance, no balance) reverts, and so does a token that
     * delivers less than `amount` ({TipJarDeliveryMismatch}).
     */
    function _pushToken(IERC20 token, address from, address to, uint256 amount) private {
        // Moving tokens from an account to itself changes no balance: nothing to measure.
        uint256 before = from == to ? 0 : token.balanceOf(to);
        if (token.trySafeTransferFrom(from, to, amount)) {
            if (from != to) _checkDelivered(token, to, amount, before);
            return;
        }
        before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        _checkDelivered(token, address(this), amount, before);
        _credit(to, address(token), amount);
    }

    /// @dev Reverts with {TipJarDeliveryMismatch} unless `to` now holds `before + sent` of `token`.
    function _checkDelivered(IERC20 token, address to, uint256 sent, uint256 before) private view {
        uint256 balance = token.balanceOf(to);
        if (balance != before + sent) {
            revert TipJarDeliveryMismatch(address(token), to, sent, balance > before ? balance - before : 0);
        }
    }

    function _credit(address account, address token, uint256 amount) private {
        _pending[account][token] += amount;
        emit PaymentDeferred(account, token, amount);
    }
}
