// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GovernorUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/GovernorUpgradeable.sol";
import {GovernorCountingSimpleUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorCountingSimpleUpgradeable.sol";
import {GovernorVotesUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesUpgradeable.sol";
import {GovernorVotesQuorumFractionUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesQuorumFractionUpgradeable.sol";
import {GovernorTimelockControlUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorTimelockControlUpgradeable.sol";
import {TimelockControllerUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";
import {IERC5805} from "@openzeppelin/contracts/interfaces/IERC5805.sol";

import {CloneArgs} from "./CloneArgs.sol";
import {ICollectiveDefaults} from "./ICollectiveDefaults.sol";

/**
 * @dev The governor of a collective: OpenZeppelin's Governor, counting For / Against / Abstain
 * ({GovernorCountingSimpleUpgradeable}), with votes from the collective's shares
 * ({GovernorVotesUpgradeable}, a checkpoint at each proposal's snapshot block), a quorum that is a
 * fraction of the shares at that block ({GovernorVotesQuorumFractionUpgradeable}), settings the
 * collective can change by vote ({setVotingDelay}, {setVotingPeriod}, {setProposalThreshold},
 * `updateQuorumNumerator`), and every decision carried out by a timelock
 * ({GovernorTimelockControlUpgradeable}) after its delay, so that a member who opposes a decision
 * can leave before it takes effect.
 *
 * Design decisions:
 *
 * - Each collective's governor is an EIP-1167 clone of one implementation with two immutable
 *   arguments in its code (OpenZeppelin's `Clones.cloneDeterministicWithImmutableArgs`): its
 *   factory and its shares (the {token}). The {CollectiveFactory} makes it and initialises it in
 *   the launch transaction: {initialize} (once) names the timelock, the one thing OpenZeppelin's
 *   timelock control keeps in storage (the collective can replace it by vote, `updateTimelock`).
 * - Settings default to the factory's until the members change them: {votingDelay},
 *   {votingPeriod}, {proposalThreshold} and the quorum's numerator read the factory (its
 *   immutables) until a vote sets the collective's own, which is then stored. A launch writes
 *   none of them (OpenZeppelin's `GovernorSettings` and quorum fraction would write four slots):
 *   the setters are OpenZeppelin's `GovernorSettings` interface (same functions, events, checks),
 *   with each event's old value the one in force, default or not. The quorum keeps
 *   OpenZeppelin's history (a proposal's quorum is the numerator at its snapshot): snapshots
 *   before the first change read the default.
 * - The name is a constant ({NAME}), not a string stored per clone: a collective is known by its
 *   shares' `communityId`, and the EIP-712 domain of its ballots already carries the governor's
 *   own address (`verifyingContract`).
 * - The timelock is the collective's executor: it owns the shares (moderators, charter hash,
 *   revenue policy, admission), holds the treasury, and only this governor may propose to it and
 *   execute through it (so every decision is a `ProposalExecuted` here, for the indexer to follow).
 */
contract CollectiveGovernor is
    GovernorUpgradeable,
    GovernorCountingSimpleUpgradeable,
    GovernorVotesUpgradeable,
    GovernorVotesQuorumFractionUpgradeable,
    GovernorTimelockControlUpgradeable
{
    /// @dev The name of every collective's governor (and of its EIP-712 domain).
    string public constant NAME = "Mecenate collective";

    // The clone's immutable arguments (packed): | factory (20 bytes) | shares (20 bytes) |.
    uint256 private constant FACTORY_ARG = 0;
    uint256 private constant SHARES_ARG = 20;

    /**
     * @dev The settings the members set by vote, in one slot; a setting not set yet is the
     * factory's (a voting period is never 0, so 0 there means "not set"). `quorumSetAt` is the
     * timepoint of the quorum's first change (0: never changed).
     */
    struct Settings {
        uint48 votingDelay;
        uint32 votingPeriod;
        uint48 quorumSetAt;
        bool votingDelaySet;
        bool proposalThresholdSet;
    }

    Settings private _settings;
    uint256 private _proposalThreshold;

    /// @dev This contract as deployed: the implementation, which has no clone arguments.
    address private immutable _implementation = address(this);

    /// @dev As OpenZeppelin's `GovernorSettings`.
    event VotingDelaySet(uint256 oldVotingDelay, uint256 newVotingDelay);
    event VotingPeriodSet(uint256 oldVotingPeriod, uint256 newVotingPeriod);
    event ProposalThresholdSet(uint256 oldProposalThreshold, uint256 newProposalThreshold);

    /// @dev True only while {initialize} runs (transient storage): see {_checkGovernance}.
    bool private transient _launching;

    /// @dev A zero address as the timelock.
    error CollectiveGovernorInvalidTimelock();

    /**
     * @dev Sets up a collective's governor, once: decisions carried out by `timelock_`. Votes come
     * from the shares named in the clone's arguments, settings from its factory (see the notes).
     * Reverts with `InvalidInitialization` on a governor that has its timelock, and on the
     * implementation. The timelock is named through OpenZeppelin's own `updateTimelock` (which
     * writes it and emits `TimelockChange`), allowed here without a vote: a timelock, never the
     * zero address, is then the sign of an initialised governor, so the clone needs no
     * `Initializable` slot.
     */
    function initialize(TimelockControllerUpgradeable timelock_) external {
        if (timelock() != address(0) || address(this) == _implementation) revert InvalidInitialization();
        _launching = true;
        updateTimelock(timelock_);
        _launching = false;
    }

    /// @dev OpenZeppelin's, refusing the zero address ({CollectiveGovernorInvalidTimelock}): a
    /// governor without a timelock would count as not initialised, and anyone could set it up again.
    function updateTimelock(TimelockControllerUpgradeable newTimelock) public override {
        if (address(newTimelock) == address(0)) revert CollectiveGovernorInvalidTimelock();
        super.updateTimelock(newTimelock);
    }

    /// @dev {NAME}, the same for every collective (see the contract's notes).
    function name() public pure override returns (string memory) {
        return NAME;
    }

    /// @dev The factory that launched this collective, whose settings are the defaults.
    function factory() public view returns (address) {
        return CloneArgs.addressAt(FACTORY_ARG, address(this) != _implementation);
    }

    /// @dev The collective's shares, whose votes count.
    function token() public view override returns (IERC5805) {
        return IERC5805(CloneArgs.addressAt(SHARES_ARG, address(this) != _implementation));
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Settings: the factory's until changed by vote
    // ─────────────────────────────────────────────────────────────────────────────────────────

    function votingDelay() public view override returns (uint256) {
        Settings memory settings = _settings;
        return settings.votingDelaySet ? settings.votingDelay : _defaults().votingDelay();
    }

    function votingPeriod() public view override returns (uint256) {
        uint32 period = _settings.votingPeriod;
        return period != 0 ? period : _defaults().votingPeriod();
    }

    function proposalThreshold() public view override returns (uint256) {
        return _settings.proposalThresholdSet ? _proposalThreshold : _defaults().proposalThreshold();
    }

    /// @dev Sets the voting delay (blocks); by vote only. Emits {VotingDelaySet}.
    function setVotingDelay(uint48 newVotingDelay) external onlyGovernance {
        emit VotingDelaySet(votingDelay(), newVotingDelay);
        _settings.votingDelay = newVotingDelay;
        _settings.votingDelaySet = true;
    }

    /// @dev Sets the voting period (blocks, not 0); by vote only. Emits {VotingPeriodSet}.
    function setVotingPeriod(uint32 newVotingPeriod) external onlyGovernance {
        if (newVotingPeriod == 0) revert GovernorInvalidVotingPeriod(0);
        emit VotingPeriodSet(votingPeriod(), newVotingPeriod);
        _settings.votingPeriod = newVotingPeriod;
    }

    /// @dev Sets the proposal threshold (votes); by vote only. Emits {ProposalThresholdSet}.
    function setProposalThreshold(uint256 newProposalThreshold) external onlyGovernance {
        emit ProposalThresholdSet(proposalThreshold(), newProposalThreshold);
        _proposalThreshold = newProposalThreshold;
        _settings.proposalThresholdSet = true;
    }

    /// @dev The quorum's numerator now: the factory's until the members changed it.
    function quorumNumerator() public view override returns (uint256) {
        return _settings.quorumSetAt == 0 ? _defaults().quorumPercent() : super.quorumNumerator();
    }

    /// @dev The quorum's numerator at `timepoint`: the factory's before the members first changed it.
    function quorumNumerator(uint256 timepoint) public view override returns (uint256) {
        uint48 setAt = _settings.quorumSetAt;
        return setAt == 0 || timepoint < setAt ? _defaults().quorumPercent() : super.quorumNumerator(timepoint);
    }

    /// @dev OpenZeppelin's (a checkpoint, and an event whose old value is {quorumNumerator}); the
    /// first change also records when the default stopped applying.
    function _updateQuorumNumerator(uint256 newQuorumNumerator) internal override {
        super._updateQuorumNumerator(newQuorumNumerator);
        if (_settings.quorumSetAt == 0) _settings.quorumSetAt = clock();
    }

    /// @dev OpenZeppelin's check that a call comes from a passed proposal, waived only inside
    /// {initialize} (the one `updateTimelock` that names the first timelock).
    function _checkGovernance() internal override {
        if (!_launching) super._checkGovernance();
    }

    function _defaults() private view returns (ICollectiveDefaults) {
        return ICollectiveDefaults(factory());
    }

    function _EIP712Name() internal pure override returns (string memory) {
        return NAME;
    }

    function _EIP712Version() internal pure override returns (string memory) {
        return "1";
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // The overrides Solidity requires where the extensions meet (each defers to its extension)
    // ─────────────────────────────────────────────────────────────────────────────────────────

    function state(
        uint256 proposalId
    ) public view override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) returns (ProposalState) {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(
        uint256 proposalId
    ) public view override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) returns (bool) {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) returns (address) {
        return super._executor();
    }
}
