import { readFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors.js';
import type { CollectorConfig } from '../config/collector-config.js';

/** The API's certificate and key as PEM, or undefined for plain HTTP; an unreadable file is a config error naming the field. */
export async function readTlsFiles(tls: CollectorConfig['http']['tls']): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!tls) return undefined;
  const pem = (field: 'certFile' | 'keyFile', path: string) => readFile(path).catch((err: Error) => {
    throw new AppError('CONFIG_INVALID', `http.tls.${field}: cannot read ${path}: ${err.message}`, { cause: err });
  });
  return { cert: await pem('certFile', tls.certFile), key: await pem('keyFile', tls.keyFile) };
}
