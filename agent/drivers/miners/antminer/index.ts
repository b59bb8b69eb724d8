export { createAntminerDriver } from './antminer-driver.js';
export { lookupAntminerModel, estimateAntminerPowerW, ANTMINER_MODELS } from './model-table.js';
export { parseStockStats } from './parse-stock.js';
export { antminerDetection } from './detection.js';
