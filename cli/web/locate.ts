// Where in the config text a JSON pointer (or a parse error's line and
// column) points, so an error in the page can select the offending value.
// Best effort over text that parsed: null when the path is not found.

export interface Span {
  start: number;
  end: number;
}

const isWs = (c: string | undefined) => c === ' ' || c === '\n' || c === '\r' || c === '\t';

export function locatePointer(text: string, pointer: string): Span | null {
  const tokens = pointer === '' || pointer === '/' ? [] : pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let i = 0;
  const ws = () => {
    while (i < text.length && isWs(text[i])) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipValue = () => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < text.length) {
        const d = text[i];
        if (d === '"') {
          skipString();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if ((d === '}' || d === ']') && --depth === 0) return void i++;
        i++;
      }
      return;
    }
    while (i < text.length && !isWs(text[i]) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
  };
  for (const token of tokens) {
    ws();
    if (text[i] === '{') {
      i++;
      // The last of duplicate keys wins, as in the parser.
      let at = -1;
      for (;;) {
        ws();
        if (text[i] === '}') break;
        if (text[i] !== '"') return null;
        const keyStart = i;
        skipString();
        let key: unknown;
        try {
          key = JSON.parse(text.slice(keyStart, i));
        } catch {
          return null;
        }
        ws();
        if (text[i] !== ':') return null;
        i++;
        ws();
        if (key === token) at = i;
        skipValue();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') break;
        else return null;
      }
      if (at < 0) return null;
      i = at;
    } else if (text[i] === '[') {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return null;
      i++;
      for (let k = Number(token); k > 0; k--) {
        skipValue();
        ws();
        if (text[i] !== ',') return null;
        i++;
      }
      ws();
      if (text[i] === ']') return null;
    } else return null;
  }
  ws();
  const start = i;
  skipValue();
  return start < text.length ? { start, end: i } : null;
}

/** The spot a parse error's "line L column C" names. */
export function locateLineColumn(text: string, message: string): Span | null {
  const m = /line (\d+) column (\d+)/.exec(message);
  if (!m) return null;
  let offset = 0;
  for (let line = 1; line < Number(m[1]); line++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return null;
    offset = nl + 1;
  }
  const start = Math.min(offset + Number(m[2]) - 1, text.length);
  return { start, end: Math.min(start + 1, text.length) };
}
