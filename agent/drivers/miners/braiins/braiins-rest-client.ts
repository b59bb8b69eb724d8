import { AppError, isAppError } from '../../../../shared/errors.js';
import { expectJson, httpJson, type HttpJsonRequest, type HttpTarget } from '../transport/http-json-client.js';
import { str, obj } from '../reading-helpers.js';

/**
 * Braiins OS REST API v1 (25.07+): `POST /api/v1/auth/login {username,password}`
 * returns a `token` that goes, as is, in the `Authorization` header. The token
 * is cached and renewed once on a 401 (it expires after `timeout_s`).
 */
export class BraiinsRestClient {
  private token: string | undefined;

  constructor(
    private readonly target: HttpTarget,
    private readonly credentials: { username: string; password: string },
  ) {}

  async login(): Promise<string> {
    const where = `${this.target.host}: Braiins REST login`;
    const res = await httpJson(this.target, { method: 'POST', path: '/api/v1/auth/login', body: this.credentials });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new AppError('AUTH_FAILED', `${where}: credentials refused for user '${this.credentials.username}' (HTTP ${res.status})`);
    }
    const token = str(obj(expectJson(res, where))?.token);
    if (!token) throw new AppError('PROTOCOL', `${where}: no token in the login reply`);
    this.token = token;
    return token;
  }

  /** An authenticated JSON call; AUTH_FAILED when the credentials are refused, UNSUPPORTED on 404. */
  async call(method: NonNullable<HttpJsonRequest['method']>, path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = this.token ?? (await this.login());
      const res = await httpJson(this.target, { method, path, body, headers: { authorization: token } });
      if (res.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      return expectJson(res, `${this.target.host}: ${method} ${path}`);
    }
  }

  /** True when something answers the REST login route (a Braiins OS 25.07+ miner), whatever the credentials. */
  async available(): Promise<boolean> {
    try {
      await this.login();
      return true;
    } catch (err) {
      if (isAppError(err, 'AUTH_FAILED')) return true;
      return false;
    }
  }
}
