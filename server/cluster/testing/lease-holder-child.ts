import { createSilentLogger } from '../../../shared/log/logger.js';
import { ClusterConfigSchema } from '../cluster-config.js';
import { createPostgresLeaderElection } from '../postgres-leader-lease.js';

/**
 * A separate process that competes for the lease, so a test can kill or pause
 * a real leader (SIGKILL, SIGSTOP). Argument: JSON { url, holder, cluster }.
 * Prints one JSON line per election event on stdout; SIGTERM stops cleanly.
 */
const { url, holder, cluster } = JSON.parse(process.argv[2] ?? '{}') as { url: string; holder: string; cluster: unknown };
const election = createPostgresLeaderElection({ url, holder, cluster: ClusterConfigSchema.parse(cluster), log: createSilentLogger() });
const print = (line: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(line) + '\n');
election.on('gained', (term) => print({ event: 'gained', epoch: term.epoch }));
election.on('renewed', (term) => print({ event: 'renewed', epoch: term.epoch }));
election.on('lost', (term, reason) => print({ event: 'lost', epoch: term.epoch, reason }));
process.once('SIGTERM', () => void election.stop().then(() => process.exit(0)));
await election.start();
