export { createBraiinsDriver } from './braiins-driver.js';
export * from './braiins-parsers.js';
export { BraiinsRestClient } from './braiins-rest-client.js';
export { braiinsDetection } from './detection.js';
