import { httpJson } from '../transport/http-json-client.js';
import type { DetectTarget, FirmwareDetection } from '../detection.js';

/**
 * Braiins OS: BOSminer names itself in every cgminer reply
 * (`"Description":"BOSminer+ 0.2.0…"`). With the cgminer API off, the REST
 * login route answers JSON (a token or a refusal) where other web UIs answer
 * 404 or HTML; detection needs no valid login.
 */
export const braiinsDetection: FirmwareDetection = {
  names: /bosminer|braiins/i,
  async ownDoor(target: DetectTarget): Promise<boolean> {
    try {
      const res = await httpJson({ host: target.host, port: target.httpPort ?? 80, timeoutMs: target.timeoutMs }, { method: 'POST', path: '/api/v1/auth/login', body: { username: '', password: '' } });
      return [200, 400, 401, 403].includes(res.status) && res.json !== undefined;
    } catch {
      return false;
    }
  },
};
