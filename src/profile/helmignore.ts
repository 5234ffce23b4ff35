// A chart folder's `.helmignore`, read as Helm reads it when it packages or loads the folder
// (helm/helm pkg/ignore/rules.go), so a chart folder travels in a bundle with the files `helm package` would
// put in its archive: what the chart's `.Files` sees is the same whichever of the two packaged it.

/** The file Helm reads at the top of a chart folder. */
export const HELMIGNORE = '.helmignore';

/** Helm adds this rule to every chart's: dotfiles in templates/ are never templates. */
const DEFAULT_RULES = ['templates/.?*'];

interface Rule {
  readonly negate: boolean;
  /** The rule ends in `/`: it applies to folders only. */
  readonly folderOnly: boolean;
  readonly matches: (path: string) => boolean;
}

/** Whether a path inside the chart folder (`/`-separated, relative to it) is left out. */
export type IgnoreRules = (path: string, isFolder: boolean) => boolean;

/**
 * The rules of a `.helmignore` text (undefined when the chart has none) plus Helm's default, or an Error naming
 * the line Helm would refuse (a `**`, an invalid pattern).
 */
export function helmIgnoreRules(text: string | undefined): IgnoreRules {
  const rules: Rule[] = [];
  const lines = [...(text ?? '').split(/\r?\n/), ...DEFAULT_RULES];
  lines.forEach((line, index) => {
    const rule = parseRule(line.trim(), index + 1);
    if (rule) rules.push(rule);
  });
  return (path, isFolder) => ignored(rules, path, isFolder);
}

/** helm's Rules.Ignore, including its reading of `!`: a negated rule that does not match ignores the path. */
function ignored(rules: readonly Rule[], path: string, isFolder: boolean): boolean {
  if (path === '' || path === '.' || path === './') return false;
  for (const rule of rules) {
    if (rule.negate) {
      if (rule.folderOnly && !isFolder) return true;
      if (!rule.matches(path)) return true;
      continue;
    }
    if (rule.folderOnly && !isFolder) continue;
    if (rule.matches(path)) return true;
  }
  return false;
}

function parseRule(line: string, number: number): Rule | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  if (line.includes('**'))
    throw new Error(`${HELMIGNORE} line ${number}: double-star (**) syntax is not supported (as in Helm)`);
  let pattern = line;
  const negate = pattern.startsWith('!');
  if (negate) pattern = pattern.slice(1);
  const folderOnly = pattern.endsWith('/');
  if (folderOnly) pattern = pattern.slice(0, -1);
  let glob: RegExp;
  try {
    glob = globRegExp(pattern.replace(/^\//, ''));
  } catch (error) {
    throw new Error(`${HELMIGNORE} line ${number}: ${(error as Error).message}`, { cause: error });
  }
  // A pattern without a slash is matched against the file's name alone, one with a slash against its path.
  const byName = !pattern.includes('/');
  return {
    negate,
    folderOnly,
    matches: (path) => glob.test(byName ? (path.split('/').at(-1) ?? path) : path),
  };
}

/** Go's filepath.Match as a regular expression: `*` and `?` stop at `/`, `[...]` classes, `\` escapes. */
function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) throw new Error(`pattern ${JSON.stringify(pattern)} ends in an escape`);
      source += escapeRegExp(next);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) throw new Error(`pattern ${JSON.stringify(pattern)} has an unclosed [`);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^/' : ''}${body.replace(/[\]\\[]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
