// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {CollectiveGovernor} from "./CollectiveGovernor.sol";
import {CollectiveShares} from "./CollectiveShares.sol";
import {CollectiveTimelock} from "./CollectiveTimelock.sol";
import {ICollectiveDefaults} from "./ICollectiveDefaults.sol";

/**
 * @dev Launches collectives: a community's shares ({CollectiveShares}), its governor
 * ({CollectiveGovernor}) and its timelock ({CollectiveTimelock}), in one
 * transaction, each an EIP-1167 clone of an implementation deployed once, with immutable
 * arguments in its code (OpenZeppelin's `Clones.cloneDeterministicWithImmutableArgs`): the
 * shares' community id; the governor's factory and shares; the timelock's factory and governor.
 *
 * Design decisions:
 *
 * - The three are wired so that the members decide everything, and nobody else can: the timelock
 *   owns the shares (moderators, charter hash, revenue policy, admission and removal of members)
 *   and receives the treasury's part of the income; only the governor may propose to the timelock
 *   (and cancel), and only the governor executes through it; the timelock administers itself (no
 *   admin), so even changing its delay takes a vote. Neither the factory nor whoever launched
 *   keeps any power.
 * - The governance settings are the same for every collective this factory launches (immutables
 *   set by the deployer, see the deploy script's defaults); each collective can change its own by
 *   vote afterwards (the governor's setters, the quorum fraction, the timelock's `updateDelay`).
 *   The clones read these immutables (this contract is the {ICollectiveDefaults} they name)
 *   until their collective sets its own: a launch writes none of them.
 * - A launch stores only what no clone can read from its code or from here: the governor's
 *   timelock, the shares' treasury, policy, moderators, charter hash and founders. Order: the
 *   shares (argument: the community id), the governor (its shares), the timelock (its governor);
 *   so {predict} needs nothing but the launcher and the community id.
 * - Clones are made with CREATE2, salted with the launcher and the community id: their addresses
 *   are known before the launch ({predict}), and a launcher can launch at most one collective per
 *   community id, while nobody can take a community's id from another launcher by launching first.
 * - The implementations are deployed beforehand and passed in (the three together are too large
 *   to be created by this constructor: 49,152 bytes of init code at most, EIP-3860).
 */
contract CollectiveFactory is ICollectiveDefaults {
    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Immutables
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev The implementations every launch clones.
    address public immutable sharesImplementation;
    address public immutable governorImplementation;
    address public immutable timelockImplementation;

    /// @dev Blocks from a proposal to the start of its vote (votes count as of that block).
    uint48 public immutable votingDelay;

    /// @dev Blocks a vote lasts.
    uint32 public immutable votingPeriod;

    /// @dev Votes (shares) an account needs to make a proposal.
    uint256 public immutable proposalThreshold;

    /// @dev The quorum: For and Abstain votes, in percent of all shares at the vote's start.
    uint256 public immutable quorumPercent;

    /// @dev Seconds between a proposal passing (queued) and its earliest execution.
    uint256 public immutable timelockDelay;

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Events and errors
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev `launcher` launched the collective of community `communityId`: its `shares`, its
    /// `governor` and its `timelock`.
    event CollectiveLaunched(
        bytes32 indexed communityId,
        address indexed launcher,
        address shares,
        address governor,
        address timelock
    );

    /// @dev A launch with no founder: a collective without members could never vote.
    error CollectiveFactoryNoFounders();

    /// @dev A voting period of 0 blocks: no vote could ever be cast.
    error CollectiveFactoryInvalidVotingPeriod();

    /// @dev A quorum over 100 % of the shares: no proposal could ever pass.
    error CollectiveFactoryInvalidQuorum(uint256 quorumPercent);

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Construction and launch
    // ─────────────────────────────────────────────────────────────────────────────────────────

    constructor(
        address sharesImplementation_,
        address governorImplementation_,
        address timelockImplementation_,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumPercent_,
        uint256 timelockDelay_
    ) {
        // Checked here, once: every collective uses them until it sets its own.
        if (votingPeriod_ == 0) revert CollectiveFactoryInvalidVotingPeriod();
        if (quorumPercent_ > 100) revert CollectiveFactoryInvalidQuorum(quorumPercent_);
        sharesImplementation = sharesImplementation_;
        governorImplementation = governorImplementation_;
        timelockImplementation = timelockImplementation_;
        votingDelay = votingDelay_;
        votingPeriod = votingPeriod_;
        proposalThreshold = proposalThreshold_;
        quorumPercent = quorumPercent_;
        timelockDelay = timelockDelay_;
    }

    /**
     * @dev Launches the collective of community `communityId`: `founders[i]` receives
     * `founderShares[i]` shares, `treasuryBps` of every income goes to the treasury (the
     * timelock), and `moderators` and `charterHash` are the community's first. Returns the three
     * clones. Reverts with {CollectiveFactoryNoFounders} without founders, with the shares' own
     * errors on invalid founders, policy or moderators, and without a reason (CREATE2) when the
     * caller already launched a collective for `communityId`.
     */
    function launch(
        bytes32 communityId,
        address[] calldata founders,
        uint256[] calldata founderShares,
        uint16 treasuryBps,
        address[] calldata moderators,
        bytes32 charterHash
    ) external returns (CollectiveShares shares, CollectiveGovernor governor, CollectiveTimelock timelock) {
        if (founders.length == 0) revert CollectiveFactoryNoFounders();
        bytes32 salt = _salt(msg.sender, communityId);
        shares = CollectiveShares(
            payable(Clones.cloneDeterministicWithImmutableArgs(sharesImplementation, _sharesArgs(communityId), salt))
        );
        governor = CollectiveGovernor(
            payable(Clones.cloneDeterministicWithImmutableArgs(governorImplementation, _governorArgs(address(shares)), salt))
        );
        timelock = CollectiveTimelock(
            payable(Clones.cloneDeterministicWithImmutableArgs(timelockImplementation, _timelockArgs(address(governor)), salt))
        );
        governor.initialize(timelock);
        shares.initialize(
            address(timelock),
            founders,
            founderShares,
            address(timelock),
            treasuryBps,
            moderators,
            charterHash
        );
        emit CollectiveLaunched(communityId, msg.sender, address(shares), address(governor), address(timelock));
    }

    /// @dev The addresses of the collective `launcher` launches, or has launched, for `communityId`.
    function predict(
        address launcher,
        bytes32 communityId
    ) external view returns (address shares, address governor, address timelock) {
        bytes32 salt = _salt(launcher, communityId);
        shares = Clones.predictDeterministicAddressWithImmutableArgs(sharesImplementation, _sharesArgs(communityId), salt);
        governor = Clones.predictDeterministicAddressWithImmutableArgs(governorImplementation, _governorArgs(shares), salt);
        timelock = Clones.predictDeterministicAddressWithImmutableArgs(timelockImplementation, _timelockArgs(governor), salt);
    }

    /// @dev A shares clone's immutable argument: its community's id.
    function _sharesArgs(bytes32 communityId) private pure returns (bytes memory) {
        return abi.encodePacked(communityId);
    }

    /// @dev A governor clone's immutable arguments: its factory (the defaults) and its shares.
    function _governorArgs(address shares) private view returns (bytes memory) {
        return abi.encodePacked(address(this), shares);
    }

    /// @dev A timelock clone's immutable arguments: its factory (the default delay) and its governor.
    function _timelockArgs(address governor) private view returns (bytes memory) {
        return abi.encodePacked(address(this), governor);
    }

    function _salt(address launcher, bytes32 communityId) private pure returns (bytes32) {
        return keccak256(abi.encode(launcher, communityId));
    }
}
