/**
 * Tokens of a JMS message selector (JMS 1.1 §3.8.1.1: a subset of SQL-92 conditional
 * expressions), as ActiveMQ's `selector` STOMP header carries them.
 */
export type Token =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'id'; readonly v: string }
  /** Keywords are case-insensitive; stored upper-case. */
  | { readonly t: 'kw'; readonly v: string }
  | { readonly t: 'op'; readonly v: string }
  | { readonly t: 'eof' };

const KEYWORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'LIKE', 'ESCAPE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE']);

export class SelectorSyntaxError extends Error {}

const OPS = ['<>', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '(', ')', ','];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === "'") {
      // String literal; '' is an embedded quote.
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new SelectorSyntaxError('unterminated string literal');
        const d = src.charAt(i);
        if (d === "'") {
          if (src.charAt(i + 1) === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += d;
        i++;
      }
      out.push({ t: 'str', v: s });
      continue;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(src.charAt(i + 1)))) {
      const m = /^(0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)[lLfFdD]?/.exec(src.slice(i));
      if (m === null) throw new SelectorSyntaxError(`bad number at ${i}`);
      const text = m[1]!;
      out.push({ t: 'num', v: text.startsWith('0x') || text.startsWith('0X') ? parseInt(text.slice(2), 16) : Number(text) });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_$.]/.test(src.charAt(j))) j++;
      const word = src.slice(i, j);
      const upper = word.toUpperCase();
      out.push(KEYWORDS.has(upper) ? { t: 'kw', v: upper } : { t: 'id', v: word });
      i = j;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new SelectorSyntaxError(`unexpected character '${c}' at ${i}`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  out.push({ t: 'eof' });
  return out;
}
