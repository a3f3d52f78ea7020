// `npm run access:diff -- <base-ref> [head-ref]`: who gains and who loses what between two revisions of
// access.ts, in words, as markdown. Needs git only: no cloud credentials, no Pulumi, no network.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as vm from "vm";
import * as ts from "typescript";
import { AccessSpec, ReaderSpec } from "../model/accessSpec";
import { accessMatrix, checkAccess, grantTarget } from "../model/grants";
import { REPO_ROOT } from "../repoFiles";
import { parseGrantRows } from "../model/rowFilter";

const ROOT = REPO_ROOT;

/** access.ts text at a git revision, or the working tree when ref is undefined. */
export function accessSource(ref: string | undefined, file = "access.ts"): string | undefined {
  if (ref === undefined) return fs.existsSync(path.join(ROOT, file)) ? fs.readFileSync(path.join(ROOT, file), "utf8") : undefined;
  if (!/^[A-Za-z0-9_./~^@{}-]+$/.test(ref) || ref.startsWith("-"))
    throw new Error(`"${ref}" is not a git revision; pass a branch, tag or commit such as origin/main`);
  try {
    return execFileSync("git", ["show", `${ref}:${file}`], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const msg = String((e as { stderr?: string }).stderr ?? e);
    if (/does not exist|exists on disk, but not in/.test(msg)) return undefined; // no access list at that revision yet
    throw new Error(`git show ${ref}:${file} failed: ${msg.trim()}`);
  }
}

/**
 * Evaluates access.ts text as plain data: transpiled, run in a fresh VM context whose `require` refuses
 * everything (type-only imports vanish in transpilation). This keeps access.ts data-only; node's vm is not a
 * security sandbox, so the workflow runs it only where the PR's code runs anyway.
 */
export function evaluateAccess(source: string): AccessSpec {
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const module = { exports: {} as Record<string, unknown> };
  const sandbox = {
    module,
    exports: module.exports,
    require: (id: string) => {
      throw new Error(`access.ts must be plain data; it imports "${id}" (use \`import type\`)`);
    },
  };
  vm.runInNewContext(js, sandbox, { timeout: 2000, filename: "access.ts" });
  const access = module.exports.access ?? (module.exports.default as { access?: unknown } | undefined)?.access;
  if (!access) throw new Error("access.ts does not export `access`");
  return JSON.parse(JSON.stringify(access)) as AccessSpec;
}

export interface ReaderChange {
  reader: string;
  gains: string[];
  loses: string[];
  notes: string[];
}

/** What can each reader read? Schema grants fold their tables; entries are display targets. */
function reach(spec: AccessSpec): Map<string, { reader?: ReaderSpec; targets: Set<string>; schemas: Set<string> }> {
  const byReader = new Map<string, { reader?: ReaderSpec; targets: Set<string>; schemas: Set<string> }>();
  for (const r of spec.readers ?? []) byReader.set(r.name, { reader: r, targets: new Set(), schemas: new Set() });
  // A partition grant shows as its table and filter. One whose filter is invalid (the errors say why) shows with the
  // filter as written, never as the whole table it would otherwise look like.
  const invalidRows: { reader: string; target: string }[] = [];
  const grants = (spec.grants ?? [])
    .filter((g) => typeof g?.reader === "string" && typeof g?.schema === "string")
    .flatMap((g) => {
      const rows = g.rows === undefined || !g.table ? undefined : parseGrantRows(g.rows).rows;
      if (g.rows !== undefined && !rows) {
        invalidRows.push({
          reader: g.reader,
          target: `${grantTarget(g.schema, g.table ?? null)} [invalid rows ${JSON.stringify(g.rows)}]`,
        });
        return [];
      }
      return [{ reader: g.reader, schema: g.schema, table: g.table ?? null, mode: "read" as const, key: "", ...(rows ? { rows } : {}) }];
    });
  const declared = { readers: (spec.readers ?? []).filter((r) => typeof r?.name === "string"), grants };
  const matrix = accessMatrix(declared);
  for (const [name, m] of Object.entries(matrix)) {
    const e = byReader.get(name) ?? { targets: new Set<string>(), schemas: new Set<string>() };
    for (const s of m.schemas) {
      e.targets.add(grantTarget(s, null));
      e.schemas.add(s);
    }
    for (const t of m.tables) e.targets.add(grantTarget(t.schema, t.table));
    for (const p of m.partitions ?? []) e.targets.add(`${grantTarget(p.schema, p.table)} [${p.rows}]`);
    byReader.set(name, e);
  }
  for (const { reader, target } of invalidRows) {
    const e = byReader.get(reader) ?? { targets: new Set<string>(), schemas: new Set<string>() };
    e.targets.add(target);
    byReader.set(reader, e);
  }
  return byReader;
}

/** Per reader: gained and lost targets, and changes to its key or address list. */
export function diffAccess(base: AccessSpec, head: AccessSpec): ReaderChange[] {
  const b = reach(base),
    h = reach(head);
  const names = [...new Set([...b.keys(), ...h.keys()])].sort();
  const out: ReaderChange[] = [];
  for (const name of names) {
    const before = b.get(name),
      after = h.get(name);
    const gains = [...(after?.targets ?? [])].filter((t) => !before?.targets.has(t));
    // A table that is now covered by a schema grant is not lost, nor are partitions of a table now granted whole.
    const loses = [...(before?.targets ?? [])].filter(
      (t) => !after?.targets.has(t) && !coveredBySchema(t, after?.schemas) && !after?.targets.has(t.replace(/ \[.*\]$/s, "")),
    );
    const notes: string[] = [];
    if (!before?.reader && after?.reader) notes.push("new reader");
    if (before?.reader && !after?.reader) notes.push("reader removed (its login role is dropped)");
    if (before?.reader && after?.reader) {
      const pb = before.reader.principal,
        ph = after.reader.principal;
      if (pb?.projectId !== ph?.projectId || pb?.accessKey !== ph?.accessKey)
        notes.push(`S3 key changes from p${pb?.projectId}:${pb?.accessKey} to p${ph?.projectId}:${ph?.accessKey}`);
      const ib = [...(before.reader.allowedIps ?? [])].sort().join(", "),
        ih = [...(after.reader.allowedIps ?? [])].sort().join(", ");
      if (ib !== ih) notes.push(`PostgreSQL allow-list changes from [${ib}] to [${ih}]`);
    }
    if (gains.length || loses.length || notes.length) out.push({ reader: name, gains: gains.sort(), loses: loses.sort(), notes });
  }
  return out;
}

function coveredBySchema(target: string, schemas: Set<string> | undefined): boolean {
  if (!schemas) return false;
  for (const s of schemas) if (target.startsWith(grantTarget(s, null).slice(0, -1))) return true;
  return false;
}

const md = (t: string) => t.replace(/\|/g, "\\|").replace(/`/g, "\\`");

/** The comment posted on the pull request. */
export function renderAccessDiff(
  baseRef: string,
  headRef: string,
  changes: ReaderChange[],
  headErrors: string[],
  headWarnings: string[],
): string {
  const lines = [`## Access changes: ${md(baseRef)} → ${md(headRef)}`, ""];
  if (headErrors.length) {
    lines.push(
      `**The new access list is invalid (${headErrors.length} problem${headErrors.length === 1 ? "" : "s"}); \`pulumi preview\` will refuse it:**`,
      "",
    );
    for (const e of headErrors) lines.push(`- ${md(e)}`);
    lines.push("");
  }
  if (!changes.length) lines.push("No one gains or loses access.");
  else {
    lines.push("| reader | gains | loses | other changes |", "|---|---|---|---|");
    for (const c of changes)
      lines.push(
        `| ${md(c.reader)} | ${md(c.gains.join(", ")) || "—"} | ${md(c.loses.join(", ")) || "—"} | ${md(c.notes.join("; ")) || "—"} |`,
      );
    lines.push(
      "",
      "`schema.*` covers every current and future table of the schema; `schema.table [key in (…)]` only the rows in files of those partitions.",
    );
  }
  if (headWarnings.length) {
    lines.push("", "Warnings:", "");
    for (const w of headWarnings) lines.push(`- ${md(w)}`);
  }
  return lines.join("\n") + "\n";
}

/** The whole command: returns the markdown and whether the head list is valid. */
export function accessDiffReport(baseRef: string, headRef?: string): { markdown: string; ok: boolean } {
  const baseSource = accessSource(baseRef);
  const headSource = accessSource(headRef);
  if (headSource === undefined) throw new Error(`no access.ts at ${headRef ?? "the working tree"}`);
  const base = baseSource === undefined ? { readers: [], grants: [] } : evaluateAccess(baseSource);
  const head = evaluateAccess(headSource);
  // The owner project is stack config; the principal rule is checked by preview, so any id that is no reader's works here.
  const check = checkAccess(head, { ownerProjectId: "999999999999" });
  return {
    markdown: renderAccessDiff(baseRef, headRef ?? "working tree", diffAccess(base, head), check.errors, check.warnings),
    ok: check.errors.length === 0,
  };
}

if (require.main === module) {
  const [baseRef, headRef] = process.argv.slice(2);
  if (!baseRef) {
    console.error("usage: npm run access:diff -- <base-ref> [head-ref]   (e.g. origin/main; head defaults to the working tree)");
    process.exit(2);
  }
  try {
    const { markdown, ok } = accessDiffReport(baseRef, headRef);
    process.stdout.write(markdown);
    process.exit(ok ? 0 : 1);
  } catch (e) {
    console.error(`access:diff: ${(e as Error).message}`);
    process.exit(2);
  }
}
