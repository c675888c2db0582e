/**
 * Where a JSON text first breaks the grammar, as line and column. Node's JSON.parse messages give a position only
 * sometimes (Node 20: "Unexpected end of JSON input" and "Unexpected token 'x', "..." is not valid JSON" have none),
 * so the place is found here by a scan of the JSON grammar (RFC 8259), independent of the engine's wording.
 */

export interface JsonSyntaxError {
  /** 0-based character offset; the text's length for an error at its end. */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
  reason: string;
}

class Stop {
  constructor(readonly offset: number, readonly reason: string) {}
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** The first syntax error of `text`, or null when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const n = text.length;
  const show = (k: number) => (k >= n ? 'the end of the file' : JSON.stringify(text[k]));
  const stop = (reason: string, at = i): never => {
    throw new Stop(at, reason);
  };
  const space = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = () => {
    const start = i++;
    while (i < n) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else stop(`bad escape sequence in a string`);
        continue;
      }
      if (c < ' ') stop('control character (a line break?) inside a string');
      i++;
    }
    stop('string never closed (missing ")', start);
  };
  // -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?, stopping at the first character that breaks it.
  const number = () => {
    const digits = (what: string) => {
      if (!isDigit(text[i])) stop(`malformed number: expected ${what}, found ${show(i)}`);
      while (isDigit(text[i])) i++;
    };
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits('a digit');
    if (text[i] === '.') {
      i++;
      digits('a digit after the decimal point');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits('a digit in the exponent');
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') stop(`expected a property name in double quotes, found ${show(i)}`);
        string();
        space();
        if (text[i] !== ':') stop(`expected ':' after a property name, found ${show(i)}`);
        i++;
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else stop(`expected ',' or '}' after a property value, found ${show(i)}`);
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else stop(`expected ',' or ']' after an array element, found ${show(i)}`);
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : undefined;
    if (!word) return stop(`expected a value, found ${show(i)}`);
    for (const expected of word) {
      if (text[i] !== expected) stop(`expected ${word}, found ${show(i)}`);
      i++;
    }
  };
  try {
    value();
    space();
    if (i < n) stop(`unexpected ${show(i)} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    return { offset: e.offset, line, column: e.offset - before.lastIndexOf('\n'), reason: e.reason };
  }
}
