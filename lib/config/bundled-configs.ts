import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../errors';
import { readJsonFile } from '../io/json-file';
import { PACKAGE_ROOT } from '../package-root';

/** The training configs the package ships (package.json `files`). */
export const BUNDLED_CONFIGS_DIR = path.join(PACKAGE_ROOT, 'configs');

/** A bundled config: its name (`mnist-cunet`, `table1/unet`), its file and one line on what it trains. */
export interface BundledConfig {
  name: string;
  file: string;
  description: string;
}

/** Every .json under configs/, by name: the path below configs/ without `.json`, with `/` between folders. */
export function bundledConfigNames(dir = BUNDLED_CONFIGS_DIR): string[] {
  const names: string[] = [];
  const walk = (folder: string, prefix: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(folder, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile() && entry.name.endsWith('.json')) names.push(`${prefix}${entry.name.slice(0, -5)}`);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return names.sort();
}

/** The config's own `description`, else what it trains on what (model preset and data source). */
function describeConfig(json: unknown): string {
  const config = (json ?? {}) as { description?: unknown; model?: { preset?: unknown }; data?: { source?: unknown } };
  if (typeof config.description === 'string') return config.description;
  return `${String(config.model?.preset ?? '?')} on ${String(config.data?.source ?? '?')}`;
}

/** The bundled configs with their descriptions, sorted by name. */
export function bundledConfigs(dir = BUNDLED_CONFIGS_DIR): BundledConfig[] {
  return bundledConfigNames(dir).map((name) => {
    const file = path.join(dir, `${name}.json`);
    return { name, file, description: describeConfig(readJsonFile(file, 'bundled config')) };
  });
}

/**
 * The file a `--config` argument names: a path that exists as it is, else the bundled config of that
 * name (`mnist-cunet`, `mnist-cunet.json`, `configs/mnist-cunet.json`, `table1/unet`). Anything else is
 * a MissingUError listing the bundled names.
 */
export function resolveConfigFile(arg: string, dir = BUNDLED_CONFIGS_DIR): string {
  if (fs.existsSync(arg)) return arg;
  const name = arg
    .replace(/\\/g, '/')
    .replace(/^(\.\/)?configs\//, '')
    .replace(/\.json$/, '');
  const names = bundledConfigNames(dir);
  if (names.includes(name)) return path.join(dir, `${name}.json`);
  throw new MissingUError(
    `config ${arg} is neither a file nor a bundled config: give a JSON file, or one of ` +
      `${names.join(', ')} (missing-u configs describes them)`,
  );
}
