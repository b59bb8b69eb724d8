/** Major version of the wire protocol; every payload carries it as `v`. */
export const PROTOCOL_VERSION = 1;

/** Payloads stay under 64 KiB so every broker and constrained gateway accepts them (docs/protocol.md). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export const TOPIC_ROOT = `hashwatt/v${PROTOCOL_VERSION}`;
