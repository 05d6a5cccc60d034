#!/usr/bin/env node
'use strict';
// The Gloo headers that libtorch's c10d headers include (torch/csrc/distributed/c10d/ProcessGroupGloo.hpp
// includes <gloo/...>) but the torch wheel does not ship. Gloo itself is compiled into libtorch_cpu.so;
// the addon only needs its declarations, and uses nothing of Gloo inline (see native/train/data_parallel.cpp),
// so the headers of Debian's libgloo-dev serve. Without them the addon builds with distributed
// training compiled out. Order: MISSING_U_DISTRIBUTED=off, GLOO_INCLUDE_DIR, the cache, a fetch.
//
//   node scripts/gloo.js --include-dir   prints the include folder, or nothing (the reason on stderr)

const { Buffer } = require('node:buffer');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

// Debian bookworm's libgloo-dev: headers only (49 kB), pinned by version and checksum.
const DEB = {
  package: 'libgloo-dev',
  version: '0.0~git20220518.5b14351-3',
  url: 'https://deb.debian.org/debian/pool/main/g/gloo/libgloo-dev_0.0~git20220518.5b14351-3_amd64.deb',
  sha256: '80529c9fd8af452faf489e686b94bf87075965c40673803810c4f41634b1e299',
};
const MARKER = '.missing-u-gloo.json';

function cacheRoot() {
  if (process.env.MISSING_U_CACHE) return process.env.MISSING_U_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'missing-u');
}

const isGlooInclude = (dir) => fs.existsSync(path.join(dir, 'gloo', 'config.h'));

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (result.error) return `${cmd}: ${result.error.message}`;
  if (result.status !== 0) {
    const detail = result.stderr.trim().split('\n').slice(-2).join(' | ') || `exit code ${result.status}`;
    return `${cmd} ${args[0]}: ${detail}`;
  }
  return null;
}

/** The pinned .deb into `dir`: through apt (its mirrors and proxies) when it can, else straight from the pool. */
async function download(dir) {
  const problems = [];
  const viaApt = run('apt-get', ['download', `${DEB.package}=${DEB.version}`], { cwd: dir });
  const found = () => fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!viaApt && found()) return path.join(dir, found());
  problems.push(viaApt ?? 'apt-get download produced no .deb');
  try {
    const response = await globalThis.fetch(DEB.url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const file = path.join(dir, 'gloo.deb');
    fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    return file;
  } catch (err) {
    problems.push(`${DEB.url}: ${err.message}`);
  }
  throw new Error(problems.join('; '));
}

/** Unpacks a .deb's files into `dir`: dpkg-deb where there is one, else the ar archive's data.tar.* with tar. */
function unpackDeb(deb, dir) {
  if (!run('dpkg-deb', ['-x', deb, dir])) return;
  const bytes = fs.readFileSync(deb);
  if (bytes.toString('latin1', 0, 8) !== '!<arch>\n') throw new Error(`${deb} is not a Debian package`);
  for (let at = 8; at + 60 <= bytes.length;) {
    const name = bytes
      .toString('latin1', at, at + 16)
      .trim()
      .replace(/\/$/, '');
    const size = Number(bytes.toString('latin1', at + 48, at + 58).trim());
    if (name.startsWith('data.tar')) {
      const member = path.join(path.dirname(deb), name);
      fs.writeFileSync(member, bytes.subarray(at + 60, at + 60 + size));
      fs.mkdirSync(dir, { recursive: true });
      const problem = run('tar', ['-xf', member, '-C', dir]);
      if (problem) throw new Error(problem);
      return;
    }
    at += 60 + size + (size % 2);
  }
  throw new Error(`${deb} has no data.tar member`);
}

/** Fetches and unpacks the headers into the cache; returns the include folder. */
async function fetchHeaders(dest) {
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot(), '.fetch-gloo-'));
  try {
    const deb = await download(work);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(deb)).digest('hex');
    if (sha !== DEB.sha256) throw new Error(`${path.basename(deb)} has sha256 ${sha}, expected ${DEB.sha256}`);
    const unpacked = path.join(work, 'deb');
    unpackDeb(deb, unpacked);
    const staged = path.join(work, 'out');
    fs.mkdirSync(staged);
    fs.cpSync(path.join(unpacked, 'usr', 'include', 'gloo'), path.join(staged, 'include', 'gloo'), { recursive: true });
    fs.writeFileSync(path.join(staged, MARKER), JSON.stringify({ package: DEB.package, version: DEB.version }) + '\n');
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(staged, dest);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return path.join(dest, 'include');
}

/** The Gloo include folder, or { problem } saying why there is none (the build then has no distributed support). */
async function locate({ fetchHeaders: allowFetch = true, log = () => {} } = {}) {
  const setting = (process.env.MISSING_U_DISTRIBUTED || '').toLowerCase();
  if (['0', 'off', 'no', 'false'].includes(setting)) return { problem: `MISSING_U_DISTRIBUTED=${setting}` };
  if (process.env.GLOO_INCLUDE_DIR) {
    const dir = path.resolve(process.env.GLOO_INCLUDE_DIR);
    if (isGlooInclude(dir)) return { dir, source: 'GLOO_INCLUDE_DIR' };
    return { problem: `GLOO_INCLUDE_DIR=${dir} has no gloo/config.h` };
  }
  const dest = path.join(cacheRoot(), `gloo-headers-${DEB.version.replace(/[^\w.-]/g, '_')}`);
  if (fs.existsSync(path.join(dest, MARKER))) return { dir: path.join(dest, 'include'), source: 'cache' };
  if (!allowFetch) return { problem: 'not in the cache and fetching is disabled' };
  try {
    log(`missing-u: fetching the Gloo headers (${DEB.package} ${DEB.version}) into ${dest}`);
    return { dir: await fetchHeaders(dest), source: DEB.package };
  } catch (err) {
    return { problem: `fetching ${DEB.package} ${DEB.version} failed: ${err.message}` };
  }
}

module.exports = { DEB, locate };

if (require.main === module) {
  if (process.argv[2] !== '--include-dir') {
    process.stderr.write('usage: gloo.js --include-dir\n');
    process.exit(2);
  }
  locate({ log: (m) => process.stderr.write(`${m}\n`) }).then((found) => {
    if (found.dir) {
      process.stdout.write(found.dir);
    } else {
      process.stderr.write(
        `missing-u: building without distributed training (no Gloo headers: ${found.problem}). ` +
          'Set GLOO_INCLUDE_DIR to a folder holding gloo/config.h, or let scripts/gloo.js fetch them.\n',
      );
    }
  });
}
