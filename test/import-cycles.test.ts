// lib/ has no import cycle: a module never waits, half-initialised, for one that imports it back.
// Type-only imports count too, so that types shared by two layers live in a module of their own.
import fs from 'node:fs';
import path from 'node:path';

import ts from 'typescript';

const LIB = path.join(__dirname, '..', 'lib');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** The lib/ files `file` imports (static, type-only, require and import()), resolved as TypeScript resolves them. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .filter(({ fileName }) => fileName.startsWith('.'))
    .map(({ fileName }) => path.resolve(path.dirname(file), fileName))
    .map((base) => [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate)))
    .filter((resolved): resolved is string => resolved !== undefined);
}

/** Every cycle's modules (Tarjan's strongly connected components with more than one module, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) component.push(w);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('lib/ imports', () => {
  const graph = new Map(sources(LIB).map((file) => [file, importsOf(file)]));

  it('resolve to lib/ files (the check sees the graph)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get(path.join(LIB, 'diffusion.ts'))).toContain(path.join(LIB, 'native.ts'));
  });

  it('form no cycle', () => {
    const named = cycles(graph).map((cycle) => cycle.map((file) => path.relative(LIB, file)).sort());
    expect(named).toEqual([]);
  });

  it('are caught when they do form one', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['c', 'b', 'a']]);
  });
});
