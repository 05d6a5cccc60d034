import type { Command } from 'commander';

import { ODE_METHODS, type OdeMethod } from '../schemas/names';
import { DEFAULT_FLOW_ODE, type FlowOdeSettings } from '../schemas/reverse-defaults';
import { alternatives, oneOf, positive, positiveCount } from './parse';

/** The 'ode' sampler's flags, as commander names their values. */
export interface OdeFlagValues {
  odeMethod?: OdeMethod;
  odeSteps?: number;
  rtol?: number;
  atol?: number;
  odeEpsilon?: number;
}

/** Adds the flags of the 'ode' sampler's solver (each left out: the checkpoint's, else DEFAULT_FLOW_ODE's). */
export function odeFlags(command: Command): Command {
  const { method, rtol, atol, epsilon } = DEFAULT_FLOW_ODE;
  const fallback = (value: unknown) => `(default: the checkpoint config’s, else ${value})`;
  return command
    .option(
      '--ode-method <name>',
      `--sampler ode: ${alternatives(ODE_METHODS)} ${fallback(method)}`,
      oneOf('--ode-method', ODE_METHODS),
    )
    .option('--ode-steps <n>', '--sampler ode: a fixed-step method’s steps', positiveCount('--ode-steps'))
    .option('--rtol <x>', `--sampler ode with dopri5: relative tolerance ${fallback(rtol)}`, positive('--rtol'))
    .option('--atol <x>', `--sampler ode with dopri5: absolute tolerance ${fallback(atol)}`, positive('--atol'))
    .option(
      '--ode-epsilon <t>',
      `--sampler ode: the time the integration stops at, in (0, 1) ${fallback(epsilon)}`,
      positive('--ode-epsilon'),
    );
}

/** The solver settings the flags give (only those given). */
export function odeFromFlags(opts: OdeFlagValues): Partial<FlowOdeSettings> {
  const { odeMethod: method, odeSteps: steps, rtol, atol, odeEpsilon: epsilon } = opts;
  const given: Partial<FlowOdeSettings> = { method, steps, rtol, atol, epsilon };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}
