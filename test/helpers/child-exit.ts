import type { ChildProcess } from 'node:child_process';

/** Whether a child process is still running (neither exited nor killed by a signal). */
export function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Sends a signal to a running child and resolves once it has exited; a no-op for one already gone. */
export async function signalAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
