// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockControllerUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";

import {CloneArgs} from "./CloneArgs.sol";
import {ICollectiveDefaults} from "./ICollectiveDefaults.sol";

/**
 * @dev The timelock of a collective: OpenZeppelin's `TimelockControllerUpgradeable`, as an
 * implementation for EIP-1167 clones with two immutable arguments in their code
 * (OpenZeppelin's `Clones.cloneDeterministicWithImmutableArgs`): the factory that launched the
 * collective and its governor.
 *
 * Design decisions:
 *
 * - A clone needs no initialisation, so a launch writes none of the five slots OpenZeppelin's
 *   initialiser writes (four role grants and the delay):
 *   - The launch roles are in the code: the governor (its argument) is proposer, canceller and
 *     executor, and the timelock administers itself (no other admin, ever: the factory and the
 *     launcher have none). {hasRole} says so until a role is revoked (or renounced), which the
 *     timelock records with one bit ({_revokeRole}); every other grant is OpenZeppelin's own
 *     storage. So the members can still change every role by vote, as with OpenZeppelin's.
 *   - The minimum delay is the factory's ({ICollectiveDefaults-timelockDelay}) until the
 *     timelock changes its own ({updateDelay}, by vote: only the timelock may call it).
 * - `initialize`, OpenZeppelin's public initialiser, always reverts: the roles it would grant are
 *   the launch roles above, and nobody may add others but the timelock.
 * - The implementation itself (not a clone) has no arguments: it has no launch roles at all,
 *   nor has a clone made without them (the zero address is never the governor).
 */
contract CollectiveTimelock is TimelockControllerUpgradeable {
    // The clone's immutable arguments (packed): | factory (20 bytes) | governor (20 bytes) |.
    uint256 private constant FACTORY_ARG = 0;
    uint256 private constant GOVERNOR_ARG = 20;

    // The launch roles, one bit each in {_revokedLaunchRoles}.
    uint8 private constant SELF_ADMIN = 1;
    uint8 private constant GOVERNOR_PROPOSER = 2;
    uint8 private constant GOVERNOR_CANCELLER = 4;
    uint8 private constant GOVERNOR_EXECUTOR = 8;

    /// @dev The minimum delay once the timelock set its own (then `_minDelaySet`).
    uint256 private _minDelay;
    bool private _minDelaySet;

    /// @dev The launch roles revoked (or renounced) since the launch.
    uint8 private _revokedLaunchRoles;

    /// @dev This contract as deployed: the implementation, which has no clone arguments.
    address private immutable _implementation = address(this);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @dev Always reverts: a collective's timelock is set up by its code (see the notes).
    function initialize(uint256, address[] memory, address[] memory, address) public pure override {
        revert InvalidInitialization();
    }

    /// @dev The factory that launched this collective, whose delay is the default.
    function factory() public view returns (address) {
        return CloneArgs.addressAt(FACTORY_ARG, address(this) != _implementation);
    }

    /// @dev The governor the collective was launched with (proposer, canceller and executor
    /// until a vote revokes it).
    function governor() public view returns (address) {
        return CloneArgs.addressAt(GOVERNOR_ARG, address(this) != _implementation);
    }

    /// @dev Whether `account` has `role`: a launch role not revoked, or a role granted since.
    function hasRole(bytes32 role, address account) public view override returns (bool) {
        return _hasLaunchRole(role, account) || super.hasRole(role, account);
    }

    /// @dev The minimum delay: the factory's until the timelock sets its own.
    function getMinDelay() public view override returns (uint256) {
        return _minDelaySet ? _minDelay : ICollectiveDefaults(factory()).timelockDelay();
    }

    /// @dev OpenZeppelin's `updateDelay` (only the timelock itself, so by vote), with the delay
    /// kept where {getMinDelay} reads it.
    function updateDelay(uint256 newDelay) public override {
        address sender = _msgSender();
        if (sender != address(this)) revert TimelockUnauthorizedCaller(sender);
        emit MinDelayChange(getMinDelay(), newDelay);
        _minDelay = newDelay;
        _minDelaySet = true;
    }

    /// @dev Revokes a launch role by recording it; any other role as OpenZeppelin does. (A launch
    /// role is never also in OpenZeppelin's storage: granting a role someone has writes nothing.)
    function _revokeRole(bytes32 role, address account) internal override returns (bool) {
        if (!_hasLaunchRole(role, account)) return super._revokeRole(role, account);
        _revokedLaunchRoles |= _launchRole(role, account);
        emit RoleRevoked(role, account, _msgSender());
        return true;
    }

    function _hasLaunchRole(bytes32 role, address account) private view returns (bool) {
        uint8 launchRole = _launchRole(role, account);
        return launchRole != 0 && _revokedLaunchRoles & launchRole == 0;
    }

    /// @dev The bit of the launch role `role` of `account`, or 0 if that is none.
    function _launchRole(bytes32 role, address account) private view returns (uint8) {
        if (address(this) == _implementation) return 0;
        // A clone made without the factory's arguments has no governor, and no launch roles:
        // the zero address as executor would open execution to anyone.
        address governor_ = governor();
        if (governor_ == address(0)) return 0;
        if (account == address(this)) return role == DEFAULT_ADMIN_ROLE ? SELF_ADMIN : 0;
        if (account != governor_) return 0;
        if (role == PROPOSER_ROLE) return GOVERNOR_PROPOSER;
        if (role == CANCELLER_ROLE) return GOVERNOR_CANCELLER;
        if (role == EXECUTOR_ROLE) return GOVERNOR_EXECUTOR;
        return 0;
    }
}
