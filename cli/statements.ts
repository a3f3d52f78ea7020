// Splits SQL text into `;`-terminated statements for the shell, ignoring `;` inside quotes,
// dollar-quoted strings and comments. Pure.

export interface SplitResult {
  /** Complete statements (without the trailing `;`), trimmed, empty ones dropped. */
  statements: string[];
  /** Unterminated text left over (the start of the next statement). */
  rest: string;
}

export function splitStatements(text: string): SplitResult {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === "'" || ch === '"') {
      const end = closingQuote(text, i + 1, ch);
      if (end < 0) break; // unterminated: wait for more input
      i = end + 1;
    } else if (ch === "$" && /^\$[A-Za-z_]*\$/.test(text.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))![0];
      const end = text.indexOf(tag, i + tag.length);
      if (end < 0) break;
      i = end + tag.length;
    } else if (ch === "-" && next === "-") {
      const nl = text.indexOf("\n", i);
      if (nl < 0) break;
      i = nl + 1;
    } else if (ch === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) break;
      i = end + 2;
    } else if (ch === ";") {
      const stmt = text.slice(start, i).trim();
      if (stmt && !onlyComments(stmt)) statements.push(stmt);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  return { statements, rest: text.slice(start) };
}

function closingQuote(text: string, from: number, q: string): number {
  let i = from;
  while (i < text.length) {
    if (text[i] === q) {
      if (text[i + 1] === q) {
        i += 2;
        continue;
      } // doubled quote = escaped
      return i;
    }
    i++;
  }
  return -1;
}

function onlyComments(s: string): boolean {
  return (
    s
      .replace(/--[^\n]*(\n|$)/g, "")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .trim() === ""
  );
}
