import { AppError } from '../../../../shared/errors.js';
import { expectJson, httpJson, type HttpTarget } from '../transport/http-json-client.js';
import { buildSetMinerConf, parseMinerConf, parseSetMinerConfReply, type StockMinerConf } from './parse-stock.js';

/**
 * The stock Antminer web CGI behind HTTP digest auth (realm "antMiner
 * Configuration"; the digest exchange itself lives in transport/http-digest.ts,
 * shared with other web APIs). Default login root/root as shipped.
 */
export interface CgiCredentials {
  username: string;
  password: string;
}

export async function getMinerConf(target: HttpTarget, creds: CgiCredentials): Promise<StockMinerConf> {
  const path = '/cgi-bin/get_miner_conf.cgi';
  const response = await httpJson(target, { path, digest: creds });
  return parseMinerConf(expectJson(response, `http://${target.host}${path}`));
}

export async function setMinerMode(target: HttpTarget, creds: CgiCredentials, current: StockMinerConf, mode: number): Promise<void> {
  const path = '/cgi-bin/set_miner_conf.cgi';
  const response = await httpJson(target, { method: 'POST', path, body: buildSetMinerConf(current, mode), digest: creds });
  const reply = parseSetMinerConfReply(expectJson(response, `http://${target.host}${path}`));
  if (!reply.ok) throw new AppError('MINER_ERROR', `http://${target.host}${path}: miner refused miner-mode ${mode}: ${reply.message}`);
}
