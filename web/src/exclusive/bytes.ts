/** WebCrypto takes `BufferSource` over an `ArrayBuffer`; viem hands out `Uint8Array<ArrayBufferLike>`.
 * A copy into a fresh buffer satisfies both TypeScript and the rare shared-memory caller. */
export function buffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
