import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadImageFolder } from '../lib/data/image-folder';
import { describeIoError } from '../lib/io/io-error';
import { readJsonFile } from '../lib/io/json-file';
import { missingUError, missingURejection } from './helpers/errors';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-io-error-'))));
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const failure = (code: string, message = 'injected') => Object.assign(new Error(message), { code });

describe('file errors in words', () => {
  it('say what a link loop is (was "eloop (ELOOP)")', () => {
    const loop = path.join(dir, 'config.json');
    fs.symlinkSync(loop, loop);
    expect(missingUError(() => readJsonFile(loop, 'config file')).message).toBe(
      `could not read config file ${loop}: too many symbolic links on the way (a link loop) (ELOOP); ` +
        'check where the symbolic links in the path point',
    );
  });

  it('say what ERR_OUT_OF_RANGE is (was "err_out_of_range")', () => {
    expect(describeIoError(failure('ERR_OUT_OF_RANGE'), 'could not read', '/x')).toBe(
      'could not read /x: a size or offset is out of range (ERR_OUT_OF_RANGE)',
    );
  });

  it("use Node's words, without the code and path again, for a code they do not list", () => {
    const system = failure('EWEIRD', "EWEIRD: something odd happened, open '/x'");
    expect(describeIoError(system, 'could not read', '/x')).toBe('could not read /x: something odd happened (EWEIRD)');
    const other = failure('ERR_SOMETHING', 'The thing was wrong');
    expect(describeIoError(other, 'could not write', '/y')).toBe(
      'could not write /y: The thing was wrong (ERR_SOMETHING)',
    );
    for (const code of ['ENAMETOOLONG', 'EBUSY', 'EXDEV', 'ENXIO', 'ESPIPE', 'EFBIG', 'ERR_FS_FILE_TOO_LARGE']) {
      expect(describeIoError(failure(code), 'could not read', '/x')).not.toMatch(new RegExp(code.toLowerCase()));
    }
  });

  it('an image folder that cannot be listed is a MissingUError naming it', async () => {
    fs.writeFileSync(path.join(dir, 'a.png'), '');
    jest.spyOn(fs, 'readdirSync').mockImplementation(() => {
      throw failure('EIO', 'EIO: i/o error, scandir');
    });
    expect((await missingURejection(loadImageFolder(dir, { imageSize: 8 }))).message).toBe(
      `could not list the image folder ${dir}: input/output error (EIO)`,
    );
  });
});
