export { createWhatsminerDriver } from './whatsminer-driver.js';
export { parseV2Summary, parseV2Status } from './parse-v2.js';
export { parseV3Summary, parseV3DeviceInfo } from './parse-v3.js';
export { encodeV3Frame, decodeV3Frame, v3Request, WHATSMINER_V3_PORT } from './v3-transport.js';
export { whatsminerDetection } from './detection.js';
