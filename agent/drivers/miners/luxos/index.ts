export { createLuxosDriver } from './luxos-driver.js';
export * from './luxos-parsers.js';
export { LuxosSession, sessionIdInMessage } from './luxos-session.js';
export { luxosDetection } from './detection.js';
