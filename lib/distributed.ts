import { MissingUError } from './errors';
import { native } from './native';

/**
 * This process's place in a data-parallel run over PyTorch's c10d (Gloo): every rank trains the same
 * model on its own shard of each global batch and averages gradients with the others every step.
 * Rank 0 serves the rendezvous (a c10d TCPStore) at masterAddr:masterPort.
 */
export interface DistributedOptions {
  rank: number;
  worldSize: number;
  /** This process's index on its machine (picks `cuda:<localRank>` for a `cuda` model); default: rank. */
  localRank?: number;
  masterAddr: string;
  masterPort: number;
  /** Joining the group and every collective fail after a peer is silent this long; default 300 s. */
  timeoutSeconds?: number;
  /**
   * torchrun's agent serves the rendezvous store itself (it sets TORCHELASTIC_USE_AGENT_STORE=True),
   * so rank 0 joins it instead of serving one; a restarted group gets a new store from the agent.
   */
  agentStore?: boolean;
  /** Which start of a restarted group this is (torchrun's TORCHELASTIC_RESTART_COUNT); default 0. */
  restartCount?: number;
}

/** Whether this build of the addon can train with several processes (it needs Gloo's headers at build time). */
export function distributedAvailable(): boolean {
  return native.info().build.distributed === 'gloo';
}

function integerVariable(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') {
    throw new MissingUError(`${name} is not set, but WORLD_SIZE is: a data-parallel worker needs ${name} too`);
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MissingUError(`${name}=${text} is not an integer in [${min}, ${max}]`);
  }
  return value;
}

/**
 * The run described by the torchrun-style environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
 * MASTER_PORT, and MISSING_U_DIST_TIMEOUT in seconds), or undefined when WORLD_SIZE is unset or 1.
 */
export function distributedFromEnv(env: NodeJS.ProcessEnv = process.env): DistributedOptions | undefined {
  if (env.WORLD_SIZE === undefined || env.WORLD_SIZE.trim() === '') return undefined;
  const worldSize = integerVariable(env, 'WORLD_SIZE', 1);
  if (worldSize === 1) return undefined;
  const rank = integerVariable(env, 'RANK', 0, worldSize - 1);
  const masterAddr = env.MASTER_ADDR?.trim();
  if (!masterAddr) throw new MissingUError('MASTER_ADDR is not set, but WORLD_SIZE is: set it to rank 0’s address');
  const out: DistributedOptions = {
    rank,
    worldSize,
    localRank: env.LOCAL_RANK === undefined ? rank : integerVariable(env, 'LOCAL_RANK', 0),
    masterAddr,
    masterPort: integerVariable(env, 'MASTER_PORT', 1, 65535),
    agentStore: env.TORCHELASTIC_USE_AGENT_STORE === 'True',
    restartCount:
      env.TORCHELASTIC_RESTART_COUNT === undefined ? 0 : integerVariable(env, 'TORCHELASTIC_RESTART_COUNT', 0),
  };
  if (env.MISSING_U_DIST_TIMEOUT !== undefined) {
    const seconds = Number(env.MISSING_U_DIST_TIMEOUT);
    if (!(seconds > 0))
      throw new MissingUError(`MISSING_U_DIST_TIMEOUT=${env.MISSING_U_DIST_TIMEOUT} is not seconds > 0`);
    out.timeoutSeconds = seconds;
  }
  return out;
}

/** The options object native trainRun reads as `distributed`. */
export function nativeDistributed(d: DistributedOptions): object {
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new MissingUError(`train: distributed.${message}`);
  };
  check(Number.isInteger(d.worldSize) && d.worldSize >= 1, 'worldSize must be an integer >= 1');
  check(Number.isInteger(d.rank) && d.rank >= 0 && d.rank < d.worldSize, 'rank must be an integer in [0, worldSize)');
  check(typeof d.masterAddr === 'string' && d.masterAddr.length > 0, 'masterAddr must be a host name or address');
  check(Number.isInteger(d.masterPort) && d.masterPort >= 1 && d.masterPort <= 65535, 'masterPort must be a port');
  check(d.timeoutSeconds === undefined || d.timeoutSeconds > 0, 'timeoutSeconds must be > 0');
  return {
    rank: d.rank,
    worldSize: d.worldSize,
    masterAddr: d.masterAddr,
    masterPort: d.masterPort,
    timeoutMs: Math.max(1, Math.round((d.timeoutSeconds ?? 300) * 1000)),
    agentStore: d.agentStore ?? false,
    // torchrun's store outlives a restarted group: each start keeps its keys apart from the last one's.
    storePrefix: d.agentStore ? `missing-u/attempt-${d.restartCount ?? 0}` : '',
  };
}
