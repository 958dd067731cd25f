/**
 * Header value escaping (STOMP 1.2 "Value Encoding"; STOMP 1.1 "Value Encoding").
 *
 *   1.2: \r -> CR, \n -> LF, \c -> ':', \\ -> '\'; any other escape is a fatal error.
 *   1.1: as 1.2 without \r.
 *   1.0: no escaping at all; a CR or LF inside a value cannot be carried.
 * CONNECT/STOMP/CONNECTED frames are never escaped, in any version.
 */
import type { StompVersion } from './frame.js';

export class StompEscapeError extends Error {}

const BACKSLASH = 0x5c;

/** Decode an escaped header name or value. Fast path: no backslash, returned as is. */
export function unescapeHeader(text: string, version: StompVersion): string {
  if (text.indexOf('\\') === -1) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    out += text.slice(from, i);
    const next = text.charAt(i + 1);
    switch (next) {
      case 'n':
        out += '\n';
        break;
      case 'c':
        out += ':';
        break;
      case '\\':
        out += '\\';
        break;
      case 'r':
        // \r is only defined from 1.2 on (STOMP 1.2 "Value Encoding").
        if (version !== '1.2') throw new StompEscapeError('undefined escape sequence \\r (STOMP 1.1)');
        out += '\r';
        break;
      default:
        // "Undefined escape sequences such as \t MUST be treated as a fatal protocol error."
        throw new StompEscapeError(next === '' ? 'dangling backslash in header' : `undefined escape sequence \\${next}`);
    }
    i++;
    from = i + 1;
  }
  return out + text.slice(from);
}

const NEEDS_ESCAPE = /[\\\r\n:]/;
const NEEDS_ESCAPE_1_0 = /[\r\n]/;

/** Escape a header name or value for the given version. */
export function escapeHeader(text: string, version: StompVersion, raw: boolean): string {
  if (raw || version === '1.0') {
    // 1.0 and CONNECTED have no escapes: a CR/LF would split the frame (header
    // injection), so they are replaced by a space rather than sent.
    return NEEDS_ESCAPE_1_0.test(text) ? text.replace(/[\r\n]/g, ' ') : text;
  }
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case ':':
        out += '\\c';
        break;
      case '\r':
        // 1.1 has no \r escape; the CR is dropped rather than corrupting framing.
        out += version === '1.2' ? '\\r' : '';
        break;
      default:
        out += ch;
    }
  }
  return out;
}
