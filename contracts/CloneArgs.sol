// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @dev Reads the immutable arguments of the running clone: the bytes that
 * OpenZeppelin's `Clones.cloneDeterministicWithImmutableArgs` appends to the 45 bytes of an
 * EIP-1167 proxy, read from the clone's own code (`EXTCODECOPY` of `address(this)`, always warm:
 * about 200 gas, where a storage slot costs 2,100 to read and 22,100 to write at launch).
 *
 * `Clones.fetchCloneArgs` copies all the arguments into new memory; this reads one address in the
 * scratch space. A contract that is not a clone (an implementation) has no arguments: its callers
 * pass `isClone = false` there, and read the zero address.
 */
library CloneArgs {
    /// @dev Where the arguments start in a clone's code: after the EIP-1167 proxy.
    uint256 private constant ARGS_OFFSET = 0x2d;

    /// @dev The address at byte `offset` of the running clone's arguments (20 bytes, packed), or
    /// the zero address when `isClone` is false.
    function addressAt(uint256 offset, bool isClone) internal view returns (address) {
        return address(bytes20(bytes32At(offset, isClone)));
    }

    /// @dev The 32 bytes at byte `offset` of the running clone's arguments (zeros past their
    /// end), or zero when `isClone` is false.
    function bytes32At(uint256 offset, bool isClone) internal view returns (bytes32 value) {
        if (!isClone) return bytes32(0);
        assembly ("memory-safe") {
            extcodecopy(address(), 0x00, add(ARGS_OFFSET, offset), 0x20)
            value := mload(0x00)
        }
    }
}
