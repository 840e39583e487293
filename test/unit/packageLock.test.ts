import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lockProblems, type LockFile, type PackageJson } from '../support/lockFile.ts';

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const pkg = readJson<PackageJson>('package.json');
const lock = readJson<LockFile>('package-lock.json');

describe('package-lock.json', () => {
  it('is in step with package.json, with every platform’s optional packages and engines that cover ours', () => {
    expect(lockProblems(pkg, lock)).toEqual([]);
  });

  it('reports a dependency added to package.json but not to the lock', () => {
    const edited = { ...pkg, dependencies: { ...pkg.dependencies, 'left-pad': '^1.3.0' } };
    expect(lockProblems(edited, lock)).toContain('dependencies in package-lock.json differ from package.json: run npm install');
    expect(lockProblems(edited, lock)).toContain('left-pad@^1.3.0 (wanted by package.json) is missing from package-lock.json');
  });

  it('reports another platform’s optional package missing, as npm ci does', () => {
    const packages = { ...lock.packages };
    const windows = Object.keys(packages).find((p) => p.endsWith('/rollup-win32-x64-msvc'))!;
    delete packages[windows];
    expect(lockProblems(pkg, { ...lock, packages })).toEqual([expect.stringMatching(/^@rollup\/rollup-win32-x64-msvc@.* is missing from package-lock\.json$/)]);
  });

  it('reports a package whose engines do not cover the Node versions we declare', () => {
    const packages = { ...lock.packages, 'node_modules/commander': { ...lock.packages['node_modules/commander'], engines: { node: '>=22' } } };
    expect(lockProblems(pkg, { ...lock, packages })).toEqual([expect.stringMatching(/^commander@.* needs Node >=22, which does not cover the declared /)]);
  });
});
