// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @dev The governance settings a {CollectiveFactory} gives every collective it launches: each
 * collective's governor and timelock read them from their factory until the members change
 * their own by vote (so a launch writes none of them).
 */
interface ICollectiveDefaults {
    /// @dev Blocks from a proposal to the start of its vote.
    function votingDelay() external view returns (uint48);

    /// @dev Blocks a vote lasts (never 0).
    function votingPeriod() external view returns (uint32);

    /// @dev Votes (shares) an account needs to make a proposal.
    function proposalThreshold() external view returns (uint256);

    /// @dev The quorum, in percent of all shares at a vote's start (at most 100).
    function quorumPercent() external view returns (uint256);

    /// @dev Seconds between a proposal passing (queued) and its earliest execution.
    function timelockDelay() external view returns (uint256);
}
