import { EXIT, parseCommandArgs, type Command } from '../cli/command.js';
import { AppError } from '../errors.js';
import { writeKeyPair } from './key-files.js';

const HELP = `Usage: hashwatt keys generate --out DIR [--force]

Generate an Ed25519 key pair for signing curtailment controls.

The collector signs every control with the private key; agents are configured
with the public key and refuse controls that are unsigned or signed by another
key, even when the broker is compromised.

Writes:
  DIR/control-signing.key.pem   private key (PKCS#8 PEM, mode 0600): collector only
  DIR/control-signing.pub.pem   public key (SPKI PEM): copy to every agent

Options:
  --out DIR    directory to write into (created if missing)
  --force      replace existing key files (agents must get the new public key)
  -h, --help   show this help

Exit codes: 0 written, 1 could not write or files exist without --force, 2 bad usage.`;

export const command: Command = {
  path: ['keys', 'generate'],
  summary: 'Generate an Ed25519 key pair for signing curtailment controls',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { out: { type: 'string' }, force: { type: 'boolean' } }, false);
    if (!values.out) throw new AppError('USAGE', 'keys generate needs --out DIR');
    try {
      const paths = await writeKeyPair(values.out, { force: values.force ?? false });
      process.stdout.write(`private key: ${paths.privateKeyPath} (keep it on the collector, mode 0600)\npublic key:  ${paths.publicKeyPath} (give it to every agent)\n`);
      return EXIT.OK;
    } catch (err) {
      if (err instanceof AppError && err.code === 'ALREADY_EXISTS') {
        process.stderr.write(`hashwatt: ${err.message}\n`);
        return EXIT.FAILURE;
      }
      throw err;
    }
  },
};
