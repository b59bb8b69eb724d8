import type { FirmwareDetection } from '../detection.js';

/** LuxOS names itself in every cgminer reply: `"Description":"LUXminer 2025.4.8…"`, VERSION `LUXminer`. */
export const luxosDetection: FirmwareDetection = {
  names: /luxminer|luxos/i,
};
