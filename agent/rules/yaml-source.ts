/**
 * @module Parse YAML with line positions, so every problem can point at a line of the file.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
  /** Syntax errors: message with 1-based line and column. */
  syntaxErrors: { message: string; line: number; column: number }[];
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntaxErrors = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { message: e.message.split('\n')[0] ?? e.message, line: pos.line, column: pos.col };
  });
  const data = syntaxErrors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  return { file, text, doc, lines, data, syntaxErrors };
}

/** 1-based line of the node at `path` (or of its nearest existing ancestor). */
export function lineOf(src: YamlSource, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = src.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && Array.isArray(node.range)) return src.lines.linePos(node.range[0]).line;
  }
  return undefined;
}
