import { z } from 'zod';
import { IdSchema } from '../ids.js';
import { PROTOCOL_VERSION } from '../version.js';

export const VersionSchema = z.literal(PROTOCOL_VERSION);
/** Milliseconds since the Unix epoch, UTC. */
export const TimestampSchema = z.number().int().nonnegative();
export const KwSchema = z.number().finite().nonnegative();
export const CountSchema = z.number().int().nonnegative();
/** The per-boot counter of an agent (Sparkplug's bdSeq, without the wrap). */
export const SessionSchema = z.number().int().nonnegative();

/** Every agent payload names its sender, so the codec can refuse one published on another agent's topic. */
export const AgentIdentity = { site: IdSchema, agent: IdSchema };

export const MINER_STATES = ['hashing', 'idle', 'sleeping', 'offline', 'error'] as const;
export const MinerStateSchema = z.enum(MINER_STATES);

export const CURTAIL_MODES = ['max_kw', 'shed_kw', 'sleep_count', 'full', 'none'] as const;
export const CurtailModeSchema = z.enum(CURTAIL_MODES);

export const CURTAIL_STRATEGIES = ['least_efficient_first', 'most_power_first', 'spread'] as const;
export const CurtailStrategySchema = z.enum(CURTAIL_STRATEGIES);

/** How deep an agent may act: put miners to sleep, or only lower their power targets. */
export const CURTAIL_LEVELS = ['sleep', 'power_target'] as const;
export const CurtailLevelSchema = z.enum(CURTAIL_LEVELS);

export const PRIORITIES = ['normal', 'high', 'emergency'] as const;
export const PrioritySchema = z.enum(PRIORITIES);
