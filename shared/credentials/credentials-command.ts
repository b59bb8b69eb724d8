import { EXIT, parseCommandArgs, type Command } from '../cli/command.js';
import { AppError } from '../errors.js';
import { COLLECTOR_USERNAME, agentAclBlock, agentUsername, collectorAclBlock } from './broker-identities.js';
import { writeCredentials, type WrittenCredentials } from './write-credentials.js';

const COMMON_OPTIONS = `  --out DIR       folder to write into (default ./credentials/USERNAME)
  --cert          issue a client certificate signed by the site CA instead of
                  a password (the broker's 8883 listener requires one)
  --ca-dir DIR    the site CA (ca.key.pem, ca.crt.pem); created there if the
                  folder has none. Needed with --cert; without --cert its
                  certificate is copied so the client can verify the broker
  --days N        client certificate lifetime in days (default 825)
  --show-secret   also print the password (default: only written to a 0600 file)
  --force         replace files already in --out
  -h, --help      show this help

Nothing secret is printed unless --show-secret is given: the password and the
private key go only into files with mode 0600. The password-file line (a salted
PBKDF2-SHA512 hash, mosquitto's $7$ format) and the ACL block are printed for
the broker host.

Exit codes: 0 written, 1 files exist without --force or cannot be written,
2 bad usage (invalid id, missing option).`;

const AGENT_HELP = `Usage: hashwatt credentials add-agent --site SITE --agent AGENT [options]

Create the broker identity of one edge agent: username agent.SITE.AGENT, a
random password or a client certificate (CN agent.SITE.AGENT), and the ACL
block that lets it publish only its own state, birth, telemetry and
control/report and read only its own control, telemetry/ack and the
collector state.

Options:
  --site SITE     site id (a-z, 0-9, "-")
  --agent AGENT   agent id within the site
${COMMON_OPTIONS}`;

const COLLECTOR_HELP = `Usage: hashwatt credentials add-collector [options]

Create the collector's broker identity (username ${COLLECTOR_USERNAME}): a
random password or a client certificate. Its ACL block is already in
deploy/mosquitto/acl and is written again for reference.

Options:
${COMMON_OPTIONS}`;

const OPTIONS = {
  out: { type: 'string' },
  cert: { type: 'boolean' },
  'ca-dir': { type: 'string' },
  days: { type: 'string' },
  'show-secret': { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

function parseDays(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new AppError('USAGE', `--days must be a whole number of days from 1 to 3650, got "${text}"`);
  return days;
}

function report(written: WrittenCredentials, showSecret: boolean): string {
  const out: string[] = [`identity: ${written.username}`];
  if (written.caCreated) out.push(`created a new site CA: install its ca.crt.pem on the broker (cafile) and keep ca.key.pem offline`);
  out.push('', 'wrote:');
  for (const f of written.files) out.push(`  ${f.path}  ${f.what}${f.secret ? ' [secret, mode 0600]' : ''}`);
  if (written.passwordFileLine) out.push('', 'append to the broker password_file (/etc/mosquitto/hashwatt/passwd):', written.passwordFileLine);
  out.push('', 'append to the broker acl_file (/etc/mosquitto/hashwatt/acl) unless already there:', written.aclBlock.trimEnd());
  out.push('', 'then: systemctl reload mosquitto', '', 'broker section of the program config:', '  broker:', '    url: mqtts://BROKER-HOST:8883');
  if (written.broker.caFile) out.push(`    caFile: ${written.broker.caFile}`);
  if (written.broker.certFile) out.push(`    certFile: ${written.broker.certFile}`, `    keyFile: ${written.broker.keyFile}`);
  if (written.password) {
    out.push(`    username: ${written.username}`, '    # password: from the environment file (HASHWATT_BROKER__PASSWORD)');
    if (showSecret) out.push('', `password: ${written.password}`);
  }
  return `${out.join('\n')}\n`;
}

async function run(username: string, aclBlock: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const out = (values.out as string | undefined) ?? `credentials/${username}`;
  try {
    const written = await writeCredentials({
      username,
      aclBlock,
      mode: values.cert ? 'cert' : 'password',
      outDir: out,
      ...(values['ca-dir'] ? { caDir: values['ca-dir'] as string } : {}),
      ...(values.days ? { days: parseDays(values.days as string)! } : {}),
      force: Boolean(values.force),
    });
    process.stdout.write(report(written, Boolean(values['show-secret'])));
    return EXIT.OK;
  } catch (err) {
    if (err instanceof AppError && err.code === 'ALREADY_EXISTS') {
      process.stderr.write(`hashwatt: ${err.message}\n`);
      return EXIT.FAILURE;
    }
    throw err;
  }
}

export const addAgentCommand: Command = {
  path: ['credentials', 'add-agent'],
  summary: 'Create an agent broker identity: password or client certificate, password-file line and ACL block',
  help: AGENT_HELP,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...OPTIONS, site: { type: 'string' }, agent: { type: 'string' } }, false);
    if (!values.site || !values.agent) throw new AppError('USAGE', 'credentials add-agent needs --site SITE and --agent AGENT');
    parseDays(values.days);
    let username: string;
    try {
      username = agentUsername(values.site, values.agent);
    } catch (err) {
      throw new AppError('USAGE', (err as Error).message, { cause: err });
    }
    return run(username, agentAclBlock(values.site, values.agent), values);
  },
};

export const addCollectorCommand: Command = {
  path: ['credentials', 'add-collector'],
  summary: 'Create the collector broker identity: password or client certificate',
  help: COLLECTOR_HELP,
  async run(argv) {
    const { values } = parseCommandArgs(argv, OPTIONS, false);
    parseDays(values.days);
    return run(COLLECTOR_USERNAME, collectorAclBlock(), values);
  },
};
