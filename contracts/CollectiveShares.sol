// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {ERC20VotesUpgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20VotesUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {CloneArgs} from "./CloneArgs.sol";

/**
 * @dev A collective (a community owned by its members): its membership shares, an ERC-20 with
 * votes for its {CollectiveGovernor}, its moderators and charter hash, and its income, shared
 * among its members. Its owner is the collective's timelock, so that everything the owner may
 * change is decided by the members' vote.
 *
 * Design decisions:
 *
 * - Each collective's shares are meant to be an EIP-1167 clone of one implementation, its
 *   community's id as its immutable argument (in its code, see {communityId}): {initialize}
 *   replaces the constructor, once (the treasury it sets, never zero, is the mark; the
 *   implementation refuses it).
 * - The owner is the treasury (at launch, the timelock) until ownership is transferred or
 *   renounced ({owner}): a launch does not store it.
 * - A share is a membership unit, not a currency: shares cannot be transferred between accounts
 *   ({CollectiveSharesNonTransferable}), only minted and burned by the {owner} (later the
 *   collective's timelock, so admission is by vote) and burned by a member who leaves
 *   ({leave}). Votes and income follow membership, decided by the members, not a market where
 *   a buyer could gather votes to take the collective over, or buy in just before income
 *   arrives. It also keeps the revenue accounting to mint and burn.
 * - Shares are whole units (`decimals() == 0`): one share, one vote, one part of the income.
 * - Delegation: an account that has not chosen a delegate votes with its own shares ({delegates}
 *   is the account itself), so a member's shares count as votes from the block they were minted,
 *   with no separate `delegate` call (which members forget, and without which a Governor sees no
 *   votes), and without a storage write per member at launch. A member may still delegate to
 *   someone else with {delegate}; later mints leave that choice alone; delegating to the zero
 *   address means voting oneself again.
 * - Name and symbol are constants ({name}, {symbol}), the same for every collective, not strings
 *   stored per clone: the collective is known by its {communityId}, and the EIP-712 domain of its
 *   delegation signatures carries the contract's own address. This spares each launch four
 *   storage slots (name, symbol and the domain's copies).
 * - Moderation and charter: the owner sets the community's moderators ({setModerators}, at most
 *   {MAX_MODERATORS}, the whole list at once) and the hash of its charter ({setCharterHash});
 *   each change is an event carrying the whole new value, for the node to follow.
 * - Revenue sharing by an accumulator, per asset (ETH, or an ERC-20 by its address): income is
 *   whatever the contract holds beyond what it has already accounted for, so plain transfers,
 *   TipJar tips and forced ether are counted, each exactly once. {receive} does nothing but
 *   accept, which keeps a tip to the collective cheap; income is accounted when anyone calls
 *   {notifyIncome}, when a member claims, and before every mint or burn (so shares minted after
 *   income arrived do not share it, and shares burned keep what they earned). Of each income,
 *   `treasuryBps` go to the {treasury}'s withdrawable balance and the rest to the members pro
 *   rata to their shares at that moment: `incomePerShare` grows by `rest / totalSupply`, in whole
 *   wei per share. A member's income is `incomePerShare * balance + correction`, where the
 *   correction absorbs mints, burns and claims (the "magnified dividend" pattern, with no
 *   magnification needed: shares are whole units, so every amount is an exact integer).
 * - Rounding dust: `rest % totalSupply`, less than one wei per share, is kept as {dust} and added
 *   to the next income shared with the members (or, when there are no members, to the treasury
 *   with everything else). Nothing is lost: for every asset, `accounted == sum of claimable +
 *   treasury + dust` exactly, and the contract's balance is `accounted` plus income not yet
 *   accounted (which the views include).
 * - Income while there are no shares (`totalSupply() == 0`) goes to the treasury in full.
 * - {claim} is O(1) (no loop over members), a pull payment, `nonReentrant` (transient storage),
 *   checks-effects-interactions: the claim is recorded before the asset moves. A member whose
 *   account cannot take the payment only fails its own claim. Every function that changes the
 *   accounting (mint, burn, leave, policy, income, claims) shares the one guard, so a recipient
 *   called back during a payment finds them all locked.
 * - ERC-20s: a token is shared from its first accounting, which a member or the owner triggers
 *   (so strangers cannot fill the list with junk); at most {MAX_INCOME_TOKENS} of them, because a
 *   mint or burn updates each one (a bounded loop, on governance actions only). Tokens that
 *   deliver less than they announce are harmless: only balances are counted. A token's income
 *   is divided when it is accounted, so a token that is not shared yet should be added (by a
 *   first {notifyIncome}) before shares change, or the new shares count for what it brought.
 *   A shared token whose `balanceOf` fails or burns its gas (capped) counts as bringing nothing,
 *   so it cannot block mints, burns, leaving or the claims of other assets.
 * - Arithmetic is checked everywhere (there is no `unchecked` block); the pool of each asset is
 *   packed into two slots, with every field bounded so that no accounting can overflow and
 *   revert: at most 2^128 - 1 units of an asset are ever accounted (see {_pending}).
 * - Votes are checkpointed by block number (ERC-6372 `clock`, OpenZeppelin's default), which a
 *   Governor reads through `GovernorVotes`. Members can {leave} at any time, for instance
 *   during a timelock's delay before a decision they oppose takes effect, and keep what they
 *   earned.
 */
contract CollectiveShares is Initializable, ERC20VotesUpgradeable, OwnableUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Constants
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Basis points in 100%.
    uint256 private constant BPS = 10_000;

    /// @dev The asset key of ether, in events and views.
    address public constant ETH = address(0);

    /// @dev Most ERC-20s shared (ether aside): bounds the gas of a mint or burn.
    uint256 public constant MAX_INCOME_TOKENS = 8;

    /// @dev Gas allowed to a shared token's `balanceOf` (OpenZeppelin's needs about 3,000).
    uint256 private constant BALANCE_GAS = 50_000;

    /// @dev Most shares in existence: keeps `incomePerShare * balance` far from overflow.
    uint256 public constant MAX_SUPPLY = type(uint64).max;

    /// @dev Most moderators at once: bounds the gas of setting and reading the list.
    uint256 public constant MAX_MODERATORS = 32;

    /// @dev The name of every collective's shares (see the contract's notes).
    string private constant NAME = "Mecenate collective share";

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Storage
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev The accounting of one asset, in two slots (a claim reads and writes both). Every
     * amount owed is part of `accounted`, which never exceeds 2^128 - 1 (see {_pending}); the
     * dust is less than the supply, itself at most {MAX_SUPPLY} = 2^64 - 1.
     */
    struct Pool {
        uint192 incomePerShare; // wei (or token units) of member income per share, ever
        uint64 dust; // member income not yet divisible by the supply, added to the next
        uint128 accounted; // of the balance: what is owed (claimable + treasury + dust)
        uint128 treasury; // the treasury's withdrawable balance
    }

    // (The community's id is the clone's immutable argument: see {communityId}.)

    // One slot, written once at launch: | moderator count (8) | treasuryBps (16) | treasury (160) |.
    // The treasury is also the sign that the clone is initialised (it is never the zero address).

    /// @dev Who receives the treasury's part of the income.
    address public treasury;

    /// @dev The revenue policy: the part of each income, in basis points, that goes to the treasury.
    uint16 public treasuryBps;

    /// @dev How many of {_moderators} are the community's moderators (the rest is stale).
    uint8 private _moderatorCount;

    /// @dev Shared ERC-20s, in the order they were first accounted.
    address[] private _incomeTokens;

    mapping(address asset => Pool) private _pools;
    mapping(address asset => mapping(address account => int256)) private _corrections;

    /// @dev The hash of the community's charter, as the members approved it.
    bytes32 public charterHash;

    /// @dev The community's moderators, as the members chose them: the first {_moderatorCount}.
    /// A fixed array with its length packed beside the treasury saves a launch the list's own
    /// length slot.
    address[MAX_MODERATORS] private _moderators;

    /// @dev The delegate each account chose, if any (see {delegates}).
    mapping(address account => address) private _chosenDelegates;

    /// @dev The owner, once ownership was transferred (or renounced); until then the owner is the
    /// treasury (see {owner}), which a launch makes the owner without writing this slot.
    address private _transferredOwner;
    bool private _ownershipTransferred;

    /// @dev This contract as deployed: the implementation, which must never be initialised.
    address private immutable _implementation = address(this);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Events
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev `amount` of `asset` was accounted as income: `toTreasury` to the treasury, the rest
    /// (with the previous dust) to the members, whose income per share is now `incomePerShare`.
    event IncomeAccounted(address indexed asset, uint256 amount, uint256 toTreasury, uint256 incomePerShare);

    /// @dev `account` claimed `amount` of `asset`.
    event Claimed(address indexed account, address indexed asset, uint256 amount);

    /// @dev `amount` of `asset` was paid to the treasury `to`.
    event TreasuryWithdrawn(address indexed asset, address indexed to, uint256 amount);

    /// @dev The treasury's part of future income is now `bps`.
    event RevenuePolicySet(uint16 bps);

    /// @dev `token` is shared from now on.
    event IncomeTokenAdded(address indexed token);

    /// @dev The community's moderators are now `moderators` (the whole list).
    event ModeratorsSet(address[] moderators);

    /// @dev The community's charter, as approved, now hashes to `charterHash`.
    event CharterHashSet(bytes32 charterHash);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Shares move only by mint and burn.
    error CollectiveSharesNonTransferable();

    /// @dev A treasury share over 10,000 bps.
    error CollectiveSharesInvalidBps(uint256 bps);

    /// @dev Founders and their shares of different lengths.
    error CollectiveSharesLengthMismatch(uint256 founders, uint256 shares);

    /// @dev The zero address as treasury.
    error CollectiveSharesInvalidTreasury(address treasury);

    /// @dev Nothing of `asset` for `account` to claim (or for the treasury to withdraw).
    error CollectiveSharesNothingToClaim(address account, address asset);

    /// @dev `token` is not shared yet and `account`, neither a member nor the owner, cannot add it.
    error CollectiveSharesUnknownToken(address account, address token);

    /// @dev Already {MAX_INCOME_TOKENS} tokens are shared.
    error CollectiveSharesTooManyTokens(uint256 max);

    /// @dev A moderator list of `count` accounts, over {MAX_MODERATORS}.
    error CollectiveSharesTooManyModerators(uint256 count, uint256 max);

    /// @dev A moderator list naming the zero address, or an account twice.
    error CollectiveSharesInvalidModerator(address moderator);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Set-up
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Sets up the collective (of the community its clone's argument names, see
     * {communityId}): `founders[i]` receives `founderShares[i]` shares, `owner_` may change what
     * the owner may, `treasury_` receives `treasuryBps_` of every income; `moderators_` and
     * `charterHash_` are the community's first. Once only, and never on the implementation
     * (`InvalidInitialization`).
     */
    function initialize(
        address owner_,
        address[] calldata founders,
        uint256[] calldata founderShares,
        address treasury_,
        uint16 treasuryBps_,
        address[] calldata moderators_,
        bytes32 charterHash_
    ) external {
        // Initialised once: the treasury is set then, never to the zero address; never the
        // implementation itself (its clones share its code, not its storage).
        if (treasury != address(0) || address(this) == _implementation) revert InvalidInitialization();
        if (founders.length != founderShares.length) {
            revert CollectiveSharesLengthMismatch(founders.length, founderShares.length);
        }
        if (treasury_ == address(0)) revert CollectiveSharesInvalidTreasury(treasury_);
        if (owner_ == address(0)) revert OwnableInvalidOwner(owner_);
        // The owner is the treasury until ownership is transferred: stored only when it differs.
        if (owner_ == treasury_) {
            emit OwnershipTransferred(address(0), owner_);
        } else {
            _transferOwnership(owner_);
        }
        treasury = treasury_;
        _setRevenuePolicy(treasuryBps_);
        _setModerators(moderators_);
        _setCharterHash(charterHash_);
        for (uint256 i = 0; i < founders.length; ++i) {
            _mint(founders[i], founderShares[i]);
        }
    }

    /// @dev The community this collective owns (its id in the Mecenate network): the clone's
    /// immutable argument (32 bytes in its code, not a storage slot), zero on the implementation.
    function communityId() public view returns (bytes32) {
        return CloneArgs.bytes32At(0, address(this) != _implementation);
    }

    /// @dev The same for every collective: "Mecenate collective share".
    function name() public pure override returns (string memory) {
        return NAME;
    }

    /// @dev The same for every collective: "SHARE".
    function symbol() public pure override returns (string memory) {
        return "SHARE";
    }

    /// @dev Shares are whole units: one share, one vote.
    function decimals() public pure override returns (uint8) {
        return 0;
    }

    /// @dev The owner: the treasury (the collective's timelock, at launch) until ownership is
    /// transferred, which takes the owner's own call (a vote, once the owner is the timelock).
    function owner() public view override returns (address) {
        return _ownershipTransferred ? _transferredOwner : treasury;
    }

    /// @dev The account `account` delegated its votes to, or `account` itself if it chose none.
    function delegates(address account) public view override returns (address) {
        address chosen = _chosenDelegates[account];
        return chosen == address(0) ? account : chosen;
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Membership
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Mints `amount` shares to `to` (admission, by vote once the owner is the timelock).
    function mint(address to, uint256 amount) external onlyOwner nonReentrant {
        _mint(to, amount);
    }

    /// @dev Burns `amount` of `from`'s shares; what they earned before stays claimable.
    function burn(address from, uint256 amount) external onlyOwner nonReentrant {
        _burn(from, amount);
    }

    /// @dev Burns `amount` of the caller's own shares (leaving); what they earned stays claimable.
    function leave(uint256 amount) external nonReentrant {
        _burn(msg.sender, amount);
    }

    /// @dev Sets the revenue policy: `bps` of each future income to the treasury. Income that
    /// arrived before is accounted under the previous policy first.
    function setRevenuePolicy(uint16 bps) external onlyOwner nonReentrant {
        _accountAll();
        _setRevenuePolicy(bps);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Moderation and charter
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Replaces the moderator list with `moderators_`: at most {MAX_MODERATORS} distinct,
    /// non-zero accounts (reverts with {CollectiveSharesTooManyModerators} or
    /// {CollectiveSharesInvalidModerator}).
    function setModerators(address[] calldata moderators_) external onlyOwner {
        _setModerators(moderators_);
    }

    /// @dev Sets the hash of the charter the members approved.
    function setCharterHash(bytes32 charterHash_) external onlyOwner {
        _setCharterHash(charterHash_);
    }

    /// @dev The community's moderators.
    function moderators() external view returns (address[] memory list) {
        uint256 n = _moderatorCount;
        list = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            list[i] = _moderators[i];
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Income
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Accepts ether; it is accounted as income later (see {notifyIncome}), to keep tips cheap.
    receive() external payable {}

    /**
     * @dev Accounts what the contract holds of `token` ({ETH}: address 0 for ether) beyond what
     * it already accounted for, as income. The first accounting of an ERC-20 adds it to the
     * shared tokens; only a member or the owner may do that.
     */
    function notifyIncome(IERC20 token) external nonReentrant {
        _account(address(token));
    }

    /**
     * @dev Pays the caller everything it can claim of `asset` ({ETH} for ether), income not yet
     * accounted included. Reverts with {CollectiveSharesNothingToClaim} when that is nothing.
     */
    function claim(address asset) external nonReentrant {
        address account = msg.sender;
        Pool memory pool = _accounted(asset);
        uint256 amount = _earned(account, asset, pool.incomePerShare);
        if (amount == 0) revert CollectiveSharesNothingToClaim(account, asset);
        _corrections[asset][account] -= amount.toInt256();
        pool.accounted -= amount.toUint128(); // never below zero: `amount` is part of it
        _pools[asset] = pool;
        emit Claimed(account, asset, amount);
        _pay(asset, account, amount);
    }

    /// @dev Pays the treasury everything it can withdraw of `asset`; anyone may trigger it.
    function withdrawTreasury(address asset) external nonReentrant {
        Pool memory pool = _accounted(asset);
        uint128 amount = pool.treasury;
        address to = treasury;
        if (amount == 0) revert CollectiveSharesNothingToClaim(to, asset);
        pool.treasury = 0;
        pool.accounted -= amount; // never below zero: the treasury's part is in it
        _pools[asset] = pool;
        emit TreasuryWithdrawn(asset, to, amount);
        _pay(asset, to, amount);
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Views (income not yet accounted included, as the next accounting would divide it)
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev What `account` can claim of `asset` ({ETH} for ether).
    function claimable(address account, address asset) external view returns (uint256) {
        (Pool memory pool, ) = _pending(asset);
        return _earned(account, asset, pool.incomePerShare);
    }

    /// @dev What the treasury can withdraw of `asset`.
    function treasuryBalance(address asset) external view returns (uint256) {
        (Pool memory pool, ) = _pending(asset);
        return pool.treasury;
    }

    /// @dev Member income of `asset` kept for the next income: less than one unit per share.
    function dust(address asset) external view returns (uint256) {
        (Pool memory pool, ) = _pending(asset);
        return pool.dust;
    }

    /// @dev Income of `asset` per share since the collective began.
    function incomePerShare(address asset) external view returns (uint256) {
        (Pool memory pool, ) = _pending(asset);
        return pool.incomePerShare;
    }

    /// @dev The shared ERC-20s.
    function incomeTokens() external view returns (address[] memory) {
        return _incomeTokens;
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Internal
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /**
     * @dev Every balance change is a mint or a burn. Before it, the income of every shared asset
     * is accounted (so it is divided among the holders before the change), then the holder's
     * corrections keep its income unchanged by the change.
     */
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) revert CollectiveSharesNonTransferable();
        _accountAll();
        _correct(ETH, from, to, value);
        uint256 n = _incomeTokens.length;
        for (uint256 i = 0; i < n; ++i) {
            _correct(_incomeTokens[i], from, to, value);
        }
        super._update(from, to, value);
    }

    function _maxSupply() internal pure override returns (uint256) {
        return MAX_SUPPLY;
    }

    /// @dev Keeps the chosen delegate where {delegates} reads it (OpenZeppelin's own record, which
    /// {delegates} replaces, is left unused).
    function _delegate(address account, address delegatee) internal override {
        address previous = delegates(account);
        _chosenDelegates[account] = delegatee;
        emit DelegateChanged(account, previous, delegates(account));
        _moveDelegateVotes(previous, delegates(account), _getVotingUnits(account));
    }

    /// @dev Records a transfer of ownership where {owner} reads it (OpenZeppelin's own record,
    /// which {owner} replaces, is left unused).
    function _transferOwnership(address newOwner) internal override {
        address oldOwner = owner();
        _transferredOwner = newOwner;
        _ownershipTransferred = true;
        emit OwnershipTransferred(oldOwner, newOwner);
    }

    function _EIP712Name() internal pure override returns (string memory) {
        return NAME;
    }

    function _EIP712Version() internal pure override returns (string memory) {
        return "1";
    }

    /// @dev Keeps the income of `from` (burn) or `to` (mint) in `asset` as it was before `value`
    /// shares changed hands.
    function _correct(address asset, address from, address to, uint256 value) private {
        int256 delta = (_pools[asset].incomePerShare * value).toInt256();
        // Nothing to correct before the first income (a launch's mints): no slot to touch.
        if (delta == 0) return;
        if (from != address(0)) _corrections[asset][from] += delta;
        if (to != address(0)) _corrections[asset][to] -= delta;
    }

    function _accountAll() private {
        _account(ETH);
        uint256 n = _incomeTokens.length;
        for (uint256 i = 0; i < n; ++i) {
            _account(_incomeTokens[i]);
        }
    }

    /// @dev Accounts the income of `asset` not accounted yet (see {_pending}).
    function _account(address asset) private {
        _pools[asset] = _accounted(asset);
    }

    /**
     * @dev The pool of `asset` with its income not accounted yet divided (see {_pending}), for
     * the caller to store (once, with its own changes); adds a new ERC-20 to the shared tokens.
     */
    function _accounted(address asset) private returns (Pool memory pool) {
        uint256 income;
        (pool, income) = _pending(asset);
        if (income == 0) return pool;
        if (asset != ETH && !_isIncomeToken(asset)) _addIncomeToken(asset);
        emit IncomeAccounted(asset, income, pool.treasury - _pools[asset].treasury, pool.incomePerShare);
    }

    /**
     * @dev The pool of `asset` as it would be with its unaccounted income (the balance beyond
     * `accounted`) divided: `treasuryBps` of it to the treasury, the rest with the dust to the
     * members in whole units per share, the remainder kept as dust; all of it to the treasury
     * when there are no shares.
     */
    function _pending(address asset) private view returns (Pool memory pool, uint256 income) {
        pool = _pools[asset];
        uint256 balance = asset == ETH ? address(this).balance : _tokenBalance(asset);
        // Beyond 2^128 - 1 units nothing is accounted (no real asset gathers that much in one
        // place): the cap keeps every amount within its field, where a revert would block the
        // accounting, and with it mints, burns and claims.
        if (balance > type(uint128).max) balance = type(uint128).max;
        // A token whose balance fell below what is owed (a rebasing token), or that did not say
        // (see {_tokenBalance}), brings no income.
        if (balance <= pool.accounted) return (pool, 0);
        income = balance - pool.accounted;
        pool.accounted = balance.toUint128();
        uint256 supply = totalSupply();
        if (supply == 0) {
            pool.treasury = (pool.treasury + income + pool.dust).toUint128(); // all within `accounted`
            pool.dust = 0;
            return (pool, income);
        }
        uint256 toTreasury = (income * treasuryBps) / BPS;
        uint256 toMembers = income - toTreasury + pool.dust;
        pool.treasury = (pool.treasury + toTreasury).toUint128(); // within `accounted`
        pool.incomePerShare = (pool.incomePerShare + toMembers / supply).toUint192(); // <= accounted
        pool.dust = (toMembers % supply).toUint64(); // below the supply, at most MAX_SUPPLY
    }

    /**
     * @dev The contract's balance of `token`, or 0 if the token's `balanceOf` fails or spends
     * more than {BALANCE_GAS}: a token that breaks (or was made to break by whoever controls it)
     * must not block the mints, burns and claims that account every shared token; its income
     * then just waits.
     */
    function _tokenBalance(address token) private view returns (uint256 held) {
        bytes4 selector = IERC20.balanceOf.selector;
        // Only the first word of the answer is copied, into the scratch space: a token that
        // returns megabytes cannot make this call pay for copying them (a "return bomb").
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, address())
            let ok := staticcall(BALANCE_GAS, token, 0x00, 0x24, 0x00, 0x20)
            if and(ok, gt(returndatasize(), 0x1f)) {
                held := mload(0x00)
            }
        }
    }

    /// @dev `account`'s unclaimed income of `asset` at `perShare` income per share.
    function _earned(address account, address asset, uint256 perShare) private view returns (uint256) {
        // Never negative: a correction lowers the income by at most what was earned (a mint's by
        // the income of shares that were not there, a claim's by what had been earned).
        return ((perShare * balanceOf(account)).toInt256() + _corrections[asset][account]).toUint256();
    }

    function _isIncomeToken(address token) private view returns (bool) {
        uint256 n = _incomeTokens.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_incomeTokens[i] == token) return true;
        }
        return false;
    }

    function _addIncomeToken(address token) private {
        if (balanceOf(msg.sender) == 0 && msg.sender != owner()) {
            revert CollectiveSharesUnknownToken(msg.sender, token);
        }
        if (_incomeTokens.length == MAX_INCOME_TOKENS) revert CollectiveSharesTooManyTokens(MAX_INCOME_TOKENS);
        _incomeTokens.push(token);
        emit IncomeTokenAdded(token);
    }

    function _pay(address asset, address to, uint256 amount) private {
        if (asset == ETH) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(asset).safeTransfer(to, amount);
        }
    }

    function _setRevenuePolicy(uint16 bps) private {
        if (bps > BPS) revert CollectiveSharesInvalidBps(bps);
        treasuryBps = bps;
        emit RevenuePolicySet(bps);
    }

    function _setModerators(address[] calldata moderators_) private {
        uint256 n = moderators_.length;
        if (n > MAX_MODERATORS) revert CollectiveSharesTooManyModerators(n, MAX_MODERATORS);
        for (uint256 i = 0; i < n; ++i) {
            address moderator = moderators_[i];
            if (moderator == address(0)) revert CollectiveSharesInvalidModerator(moderator);
            for (uint256 j = 0; j < i; ++j) {
                if (moderators_[j] == moderator) revert CollectiveSharesInvalidModerator(moderator);
            }
        }
        for (uint256 i = 0; i < n; ++i) {
            _moderators[i] = moderators_[i];
        }
        _moderatorCount = uint8(n); // at most MAX_MODERATORS (32)
        emit ModeratorsSet(moderators_);
    }

    function _setCharterHash(bytes32 charterHash_) private {
        charterHash = charterHash_;
        emit CharterHashSet(charterHash_);
    }
}
