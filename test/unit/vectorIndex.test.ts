import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { defaultIvfflatLists, needsRebuild, vectorIndexName, wantedVectorIndex } from '../../src/store/vectorIndex.ts';

describe('vector index choice', () => {
  it('defaults to HNSW with m 16 and ef_construction by table size, searched with ef_search 200 and 80 probes', () => {
    const c = loadConfig({});
    expect(c.vectorIndex).toEqual({ kind: 'hnsw', m: undefined, efConstruction: undefined, lists: undefined });
    expect(c.vectorSearch).toEqual({ efSearch: 200, probes: 80 });
    expect(wantedVectorIndex(c.vectorIndex, 'halfvec', 8_000)).toEqual({ kind: 'hnsw', m: 16, efConstruction: 64 });
    expect(wantedVectorIndex(c.vectorIndex, 'halfvec', 100_000)).toEqual({ kind: 'hnsw', m: 16, efConstruction: 200 });
  });

  it('reads VECTOR_INDEX and its tunables, and refuses values pgvector would refuse', () => {
    const c = loadConfig({ VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '250', IVFFLAT_PROBES: '25', HNSW_M: '24', HNSW_EF_CONSTRUCTION: '96', HNSW_EF_SEARCH: '120' });
    expect(c.vectorIndex).toEqual({ kind: 'ivfflat', m: 24, efConstruction: 96, lists: 250 });
    expect(c.vectorSearch).toEqual({ efSearch: 120, probes: 25 });
    expect(() => loadConfig({ VECTOR_INDEX: 'annoy' })).toThrow(/VECTOR_INDEX/);
    expect(() => loadConfig({ HNSW_M: '16', HNSW_EF_CONSTRUCTION: '20' })).toThrow(/HNSW_EF_CONSTRUCTION must be at least twice HNSW_M \(32\)/);
    expect(() => loadConfig({ IVFFLAT_PROBES: '0' })).toThrow(/IVFFLAT_PROBES/);
  });

  it('gives IVFFlat rows/1000 lists up to a million rows and √rows beyond', () => {
    expect(defaultIvfflatLists(0)).toBe(1);
    expect(defaultIvfflatLists(8_158)).toBe(8);
    expect(defaultIvfflatLists(100_000)).toBe(100);
    expect(defaultIvfflatLists(1_000_000)).toBe(1000);
    expect(defaultIvfflatLists(4_000_000)).toBe(2000);
  });

  it('rebuilds for another kind or a configured parameter that differs, and for size only once the table outgrew the index', () => {
    const hnsw = { kind: 'hnsw' as const, m: 16, efConstruction: 64 };
    expect(needsRebuild(hnsw, { kind: 'hnsw' }, 'halfvec', 5_000)).toBe(false);
    expect(needsRebuild(hnsw, { kind: 'hnsw' }, 'halfvec', 50_000)).toBe(true);
    expect(needsRebuild(hnsw, { kind: 'hnsw' }, 'halfvec', 50_000, true)).toBe(false);
    expect(needsRebuild(hnsw, { kind: 'hnsw', m: 24 }, 'halfvec', 5_000, true)).toBe(true);
    expect(needsRebuild(hnsw, { kind: 'hnsw', efConstruction: 64 }, 'halfvec', 50_000)).toBe(false);
    expect(needsRebuild(hnsw, { kind: 'ivfflat' }, 'halfvec', 5_000, true)).toBe(true);
    const ivf = { kind: 'ivfflat' as const, lists: 100 };
    expect(needsRebuild(ivf, { kind: 'ivfflat' }, 'halfvec', 150_000)).toBe(false);
    expect(needsRebuild(ivf, { kind: 'ivfflat' }, 'halfvec', 200_000)).toBe(true);
    expect(needsRebuild(ivf, { kind: 'ivfflat' }, 'halfvec', 40_000)).toBe(true);
    expect(needsRebuild(ivf, { kind: 'ivfflat', lists: 100 }, 'halfvec', 900_000)).toBe(false);
    expect(needsRebuild(ivf, { kind: 'ivfflat', lists: 50 }, 'halfvec', 100_000, true)).toBe(true);
  });

  it('names each kind and precision apart, keeping the HNSW names earlier versions built', () => {
    expect(vectorIndexName(256, 'halfvec')).toBe('chunks_embedding_hnsw_half_256');
    expect(vectorIndexName(256, 'vector')).toBe('chunks_embedding_hnsw_256');
    expect(vectorIndexName(256, 'halfvec', 'ivfflat')).toBe('chunks_embedding_ivfflat_half_256');
    expect(() => vectorIndexName(0, 'vector')).toThrow(/dimension/);
  });
});
