// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {GovernorUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/GovernorUpgradeable.sol";
import {GovernorSettingsUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorSettingsUpgradeable.sol";
import {GovernorCountingSimpleUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorCountingSimpleUpgradeable.sol";
import {GovernorVotesUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesUpgradeable.sol";
import {GovernorVotesQuorumFractionUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesQuorumFractionUpgradeable.sol";
import {GovernorTimelockControlUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorTimelockControlUpgradeable.sol";
import {TimelockControllerUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/**
 * @dev The governor of a collective: OpenZeppelin's Governor, counting For / Against / Abstain
 * ({GovernorCountingSimpleUpgradeable}), with votes from the collective's shares
 * ({GovernorVotesUpgradeable}, a checkpoint at each proposal's snapshot block), a quorum that is a
 * fraction of the shares at that block ({GovernorVotesQuorumFractionUpgradeable}), settings the
 * collective can change by vote ({GovernorSettingsUpgradeable}), and every decision carried out
 * by a timelock ({GovernorTimelockControlUpgradeable}) after its delay, so that a member who
 * opposes a decision can leave before it takes effect.
 *
 * Design decisions:
 *
 * - Each collective's governor is an EIP-1167 clone of one implementation, made and initialised by
 *   the {CollectiveFactory} in the launch transaction: {initialize} replaces the constructor, and
 *   the implementation's own constructor disables it.
 * - The name is a constant ({NAME}), not a string stored per clone: a collective is known by its
 *   shares' `communityId`, and the EIP-712 domain of its ballots already carries the governor's
 *   own address (`verifyingContract`), so a stored name would only cost each launch two storage
 *   slots (the name and the domain's copy).
 * - The timelock is the collective's executor: it owns the shares (moderators, charter hash,
 *   revenue policy, admission), holds the treasury, and only this governor may propose to it and
 *   execute through it (so every decision is a `ProposalExecuted` here, for the indexer to follow).
 */
contract CollectiveGovernor is
    Initializable,
    GovernorUpgradeable,
    GovernorSettingsUpgradeable,
    GovernorCountingSimpleUpgradeable,
    GovernorVotesUpgradeable,
    GovernorVotesQuorumFractionUpgradeable,
    GovernorTimelockControlUpgradeable
{
    /// @dev The name of every collective's governor (and of its EIP-712 domain).
    string public constant NAME = "Mecenate collective";

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /**
     * @dev Sets up a collective's governor: votes from `shares`, decisions carried out by
     * `timelock`; a proposal's vote starts `votingDelay` blocks after it is made and lasts
     * `votingPeriod` blocks; proposing takes `proposalThreshold` votes; a vote passes with more
     * For than Against and, For and Abstain together, at least `quorumPercent` % of the shares.
     */
    function initialize(
        IVotes shares,
        TimelockControllerUpgradeable timelock,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumPercent
    ) external initializer {
        __GovernorSettings_init(votingDelay_, votingPeriod_, proposalThreshold_);
        __GovernorVotes_init(shares);
        __GovernorVotesQuorumFraction_init(quorumPercent);
        __GovernorTimelockControl_init(timelock);
    }

    /// @dev {NAME}, the same for every collective (see the contract's notes).
    function name() public pure override returns (string memory) {
        return NAME;
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

    function votingDelay() public view override(GovernorUpgradeable, GovernorSettingsUpgradeable) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(GovernorUpgradeable, GovernorSettingsUpgradeable) returns (uint256) {
        return super.votingPeriod();
    }

    function proposalThreshold()
        public
        view
        override(GovernorUpgradeable, GovernorSettingsUpgradeable)
        returns (uint256)
    {
        return super.proposalThreshold();
    }

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
