interface Frame {
  /** The keys seen so far in an object; undefined for an array. */
  keys: Set<string> | undefined;
  where: string;
  expectKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function child(parent: Frame | undefined, key: string): string {
  if (!parent) return '';
  if (!parent.keys) return `${parent.where}[]`;
  return parent.where ? `${parent.where}.${key}` : key;
}

/**
 * What JSON.parse lets pass but a file must not have: a key given twice in one object (JSON.parse
 * silently keeps the last) or nesting deeper than `maxDepth`. `text` must already parse as JSON.
 * Returns the problem in words, or undefined.
 */
export function jsonStructureProblem(text: string, maxDepth = 64): string | undefined {
  const stack: Frame[] = [];
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return `the key '${key}' appears twice${top.where ? ` in '${top.where}'` : ''}`;
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) return `it nests deeper than ${maxDepth} levels`;
      const where = child(stack[stack.length - 1], lastKey);
      stack.push({ keys: c === '{' ? new Set() : undefined, where, expectKey: c === '{' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return undefined;
}
