import semver from 'semver';

/** The parts of package.json and package-lock.json (v3) that `npm ci` compares. */
export interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  engines?: Record<string, string>;
}
interface LockEntry extends PackageJson {
  version?: string;
  link?: boolean;
  peer?: boolean;
}
export interface LockFile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

const groups = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;

/** Where Node (and npm) would find `name` when required from the package at `from`. */
function resolve(lock: LockFile, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? dir + '/' : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/**
 * Everything that makes `npm ci` refuse the lock, or `npm ci --engine-strict` refuse a package:
 * the root entry differs from package.json; a declared or transitive dependency (optional ones
 * included, for every platform) is missing or at a version outside its range; a package's
 * `engines.node` does not cover the Node versions package.json declares.
 */
export function lockProblems(pkg: PackageJson, lock: LockFile): string[] {
  const problems: string[] = [];
  if (lock.lockfileVersion < 3) problems.push(`lockfileVersion ${lock.lockfileVersion}: regenerate with npm 9 or later`);
  const root = lock.packages[''] ?? {};
  for (const group of [...groups, 'engines'] as const) {
    const want = JSON.stringify(Object.entries(pkg[group] ?? {}).sort());
    const have = JSON.stringify(Object.entries(root[group] ?? {}).sort());
    if (want !== have) problems.push(`${group} in package-lock.json differ from package.json: run npm install`);
  }
  const declaredNode = pkg.engines?.node;
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (entry.link) continue;
    for (const group of groups) {
      if (location && group === 'devDependencies') continue; // only the root's dev dependencies are installed
      for (const [name, range] of Object.entries((location ? entry : pkg)[group] ?? {})) {
        const found = resolve(lock, location, name);
        const version = found ? lock.packages[found].version : undefined;
        if (!found) problems.push(`${name}@${range} (wanted by ${location || 'package.json'}) is missing from package-lock.json`);
        else if (version && semver.validRange(range) && !semver.satisfies(version, range, { includePrerelease: true }))
          problems.push(`${name}: ${location || 'package.json'} wants ${range}, the lock has ${version}`);
      }
    }
    const engine = entry.engines?.node;
    if (location && declaredNode && engine && !semver.subset(declaredNode, engine))
      problems.push(`${location.replace(/^.*node_modules\//, '')}@${entry.version} needs Node ${engine}, which does not cover the declared ${declaredNode}`);
  }
  return problems;
}
