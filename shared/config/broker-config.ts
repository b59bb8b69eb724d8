import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { IClientOptions } from 'mqtt';
import { AppError } from '../errors.js';

/** How a program reaches the MQTT broker; shared by the agent and the collector configs. */
export const BrokerConfigSchema = z.object({
  url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'expected a broker URL such as mqtt://127.0.0.1:1883 or mqtts://broker:8883'),
  username: z.string().optional(),
  password: z.string().optional(),
  /** PEM files for TLS: the CA that signed the broker, and this client's certificate and key. */
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  clientId: z.string().max(128).optional(),
  /** Upper bound of the jittered exponential reconnect backoff. */
  reconnectMaxMs: z.number().int().positive().default(30_000),
  keepaliveS: z.number().int().positive().default(30),
});
export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new AppError('CONFIG_NOT_FOUND', `cannot read the broker ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** MQTT.js options for a broker config (credentials and TLS material), without the URL. */
export function brokerClientOptions(config: BrokerConfig): IClientOptions {
  const options: IClientOptions = { keepalive: config.keepaliveS };
  if (config.clientId) options.clientId = config.clientId;
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  if (config.caFile) options.ca = readPem(config.caFile, 'CA');
  if (config.certFile) options.cert = readPem(config.certFile, 'certificate');
  if (config.keyFile) options.key = readPem(config.keyFile, 'key');
  return options;
}
