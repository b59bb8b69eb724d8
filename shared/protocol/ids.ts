import { z } from 'zod';

/**
 * Site and agent ids: lower case, digits and dashes, 1–63 characters, starting
 * with a letter or digit. This keeps MQTT wildcards (`+`, `#`), level
 * separators (`/`), `$`-topics and case confusion out of topic names.
 */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const IdSchema = z.string().regex(ID_PATTERN, 'expected an id of 1-63 characters: a-z, 0-9 and "-", not starting with "-"');

/** Says what is wrong with an id, or undefined when it is valid. */
export function idProblem(id: string): string | undefined {
  // The valid case first, in one test: every received topic names two ids.
  if (ID_PATTERN.test(id)) return undefined;
  if (id.length === 0) return 'is empty';
  if (id.length > 63) return `is ${id.length} characters long (at most 63)`;
  if (/[+#/$]/.test(id)) return 'contains an MQTT wildcard, "/" or "$"';
  if (/[A-Z]/.test(id)) return 'contains upper case letters';
  if (!ID_PATTERN.test(id)) return 'may only contain a-z, 0-9 and "-", and must not start with "-"';
  return undefined;
}
