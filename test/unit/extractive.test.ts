import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractiveAnswer, wantsOpenings } from '../../src/answer/extractive.ts';
import { splitBlocks } from '../../src/answer/passages.ts';
import { questionShape } from '../../src/answer/questionKind.ts';
import { parseMarkdown } from '../../src/ingest/markdownParser.ts';
import { chunkDocument } from '../../src/ingest/chunker.ts';
import type { RetrievedChunk } from '../../src/retrieval/hybridRetriever.ts';

const chunk = (id: string, content: string, heading = 'H', title = 'Page'): RetrievedChunk => ({
  chunk: { id, document_id: id, collection: 'c', source: `${id}.md`, title, url: null, heading, anchor: 'a', content, content_hash: 'h' + id },
  fusedScore: 1,
});
const answer = (question: string, chunks: RetrievedChunk[]) => extractiveAnswer({ question, chunks }).text;
const fences = (text: string) => (text.match(/^```/gm) ?? []).length;

describe('blocks', () => {
  it('keeps a code block with a blank line inside whole', () => {
    const blocks = splitBlocks('Run this:\n\n```sql\nCREATE INDEX i ON t (c);\n\nSELECT 1;\n```\n\nAfter.');
    expect(blocks.map((b) => b.kind)).toEqual(['prose', 'code', 'prose']);
    expect(blocks[1]!.text).toBe('```sql\nCREATE INDEX i ON t (c);\n\nSELECT 1;\n```');
  });
  it('closes a code block that a chunk edge cut open', () => {
    expect(splitBlocks('```\nSELECT 1;')[0]!.text).toBe('```\nSELECT 1;\n```');
  });
});

describe('kinds of question', () => {
  it('tells how-to, definition, default, difference and purpose questions apart', () => {
    expect(questionShape('How do I create a partial index?').kind).toBe('howto');
    expect(questionShape('What is a tablespace?')).toMatchObject({ kind: 'definition', subject: ['tablespac'] });
    expect(questionShape('What is the default transaction isolation level?').kind).toBe('default');
    expect(questionShape('What is the difference between CHAR, VARCHAR and TEXT?').sides).toEqual([['char'], ['varchar'], ['text']]);
    expect(questionShape('What does the deadlock_timeout setting do?').kind).toBe('purpose');
    // A subject that starts with "a" keeps it ("autovacuum", not "utovacuum").
    expect(questionShape('What does autovacuum do?').subject).toEqual(['autovacuum']);
    expect(questionShape('What is an archive_command?').subject).toContain('archive_command');
    expect(questionShape('How do I use a CTE to make a long query readable?').purpose).toEqual(['long', 'queri', 'readabl']);
  });
  it("names a how-to's action by its verb, unless the verb names no operation", () => {
    expect(questionShape('How do I concatenate strings from multiple rows?').action).toBe('concaten');
    expect(questionShape('how to promote a standby').action).toBe('promot');
    expect(questionShape('How can I quickly copy a table?').action).toBe('copi');
    expect(questionShape('How do I make a column auto-increment?').action).toBeUndefined();
    // A phrasal verb is not its first word: "back up" is not "back".
    expect(questionShape('How do I back up a database?').action).toBeUndefined();
    expect(questionShape('What is a tablespace?').action).toBeUndefined();
    // A how-to with an action reads the pages' openings (a tool's name-and-purpose line), one without does not.
    expect(wantsOpenings('How do I check whether the server is accepting connections?')).toBe(true);
    expect(wantsOpenings('How do I make a column auto-increment?')).toBe(false);
  });
});

describe('extractive answers', () => {
  it('answers the README example from kb/sample/indexes.md with the whole CREATE INDEX ... WHERE statement', () => {
    const md = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'kb', 'sample', 'indexes.md'), 'utf8');
    const doc = parseMarkdown(md, 'indexes.md');
    const chunks = chunkDocument(doc).map((c, i) => chunk(String(i), c.content, c.heading, doc.title));
    const partial = chunks.find((c) => c.chunk.heading === 'Partial indexes')!;
    const text = answer('How do I create a partial index?', [partial, ...chunks.filter((c) => c !== partial)]);
    const code = /```sql\n([\s\S]*?)\n```/.exec(text);
    expect(code, text).not.toBeNull();
    expect(code![1]).toMatch(/^CREATE INDEX orders_pending_created_idx\s+ON orders \(created_at\)\s+WHERE status = 'pending';/);
    expect(fences(text) % 2).toBe(0);
    expect(text.indexOf('A partial index covers only the rows')).toBeLessThan(text.indexOf('```sql'));
  });

  it('leads a definition question with the defining sentence', () => {
    const chunks = [
      chunk('1', 'Tablespaces can be dropped with DROP TABLESPACE once empty. Only superusers may create them.', 'Dropping'),
      chunk('2', 'A tablespace is a location in the file system where PostgreSQL stores the files of database objects. Once created, it can be used from any database.', 'Tablespaces'),
    ];
    expect(answer('What is a tablespace?', chunks)).toMatch(/^A tablespace is a location in the file system/);
  });

  it('answers a default question with the sentence that gives the value', () => {
    const chunks = [
      chunk('1', 'default_transaction_deferrable (boolean)\n\nThis parameter controls the default deferrable status of each new transaction. The default is off.\n\ndefault_transaction_isolation (enum)\n\nEach transaction has an isolation level. This parameter controls the default isolation level of each new transaction. The default is read committed.'),
    ];
    const text = answer('What is the default transaction isolation level?', chunks);
    expect(text).toMatch(/The default is read committed\./);
    expect(text).toMatch(/^`default_transaction_isolation \(enum\)`/);
  });

  it('answers a difference question with the sentence that names both sides', () => {
    const chunks = [
      chunk('1', 'The char type is stored blank-padded to its length. Text values are stored as they are. There is no performance difference between char, varchar and text, apart from the storage of padding.'),
    ];
    expect(answer('What is the difference between char, varchar and text?', chunks)).toMatch(/no performance difference between char, varchar and text/);
  });

  it('answers a difference question with the comparison, not a function entry whose signature names both types', () => {
    const chunks = [
      chunk('1', 'jsonb_strip_nulls ( jsonb ) → jsonb\n\nDeletes all object fields that have null values from the given JSON value.', 'JSON Functions'),
      chunk('2', 'Both types accept almost the same input. The major practical difference between them is efficiency: one keeps an exact copy of the text, json, and the other, jsonb, a decomposed binary form.', 'JSON Types'),
    ];
    expect(answer('What is the difference between json and jsonb?', chunks)).toMatch(/^[^\n]*The major practical difference between them is efficiency[^\n]*\[2\]/);
  });

  it('keeps a setting with its description, drops cross-references and repeats nothing', () => {
    const chunks = [
      chunk('1', 'See Section 20.12 for details about locks.\n\ndeadlock_timeout (integer)\n\nThis is the amount of time to wait on a lock before checking to see if there is a deadlock condition (see Section 13.3). The default is one second.'),
    ];
    const text = answer('What does the deadlock_timeout setting do?', chunks);
    expect(text).toMatch(/^`deadlock_timeout \(integer\)`: This is the amount of time to wait on a lock before checking to see if there is a deadlock condition\. The default is one second\. \[1\]$/);
  });

  it('finishes a passage across a chunk edge with the code block its sentence introduces', () => {
    const first = chunk('1', 'Partial indexes skip rows. To create a partial index on unbilled orders, use a command such as this:');
    const context = new Map([['1', { after: '```\nCREATE INDEX orders_unbilled ON orders (order_nr) WHERE billed is not true;\n```\n\nMore text.' }]]);
    const { text } = extractiveAnswer({ question: 'How do I create a partial index?', chunks: [first], context });
    expect(text).toContain('use a command such as this: [1]\n```\nCREATE INDEX orders_unbilled ON orders (order_nr) WHERE billed is not true;\n```');
  });

  it('prefers the entry named exactly as asked over a longer name that contains it', () => {
    const chunks = [
      chunk('1', 'FOR NO KEY UPDATE\n\nBehaves like FOR UPDATE in a SELECT but takes a weaker lock on the rows.\n\nFOR UPDATE\n\nLocks the rows that the SELECT retrieves as though for update.'),
    ];
    expect(answer('What does SELECT ... FOR UPDATE do?', chunks)).toMatch(/^`FOR UPDATE`: Locks the rows/);
  });

  it("answers from a reference page's name-and-purpose line only when it names what is asked", () => {
    const asked = [chunk('1', 'DROP WIDGET — remove a widget'), chunk('2', 'WIDGET — sort the rows of a table by their widget number')];
    expect(answer('What does the WIDGET command do?', asked)).toMatch(/^WIDGET — sort the rows/);
    const other = [chunk('1', 'DROP EVENT TRIGGER — remove an event trigger'), chunk('2', 'Event triggers are global to a database and capture DDL events.', 'Event Triggers')];
    expect(answer('What are event triggers?', other)).toMatch(/^Event triggers are global to a database/);
  });

  it('answers a question asked in SQL terms with SQL, not with a C declaration that shares its words', () => {
    const chunks = [
      chunk('1', 'rdefmtdate\n\nUse a format mask to convert a character string to a value of type date.\n\n```\nint rdefmtdate(date *d, char *fmt, char *str);\n```', 'The date Type'),
      chunk('2', 'to_date ( text, text ) → date\n\nConverts string to date according to the given format.', 'Formatting Functions'),
    ];
    expect(answer('How do I convert a string to a date?', chunks)).toMatch(/^`to_date/);
    expect(answer('How do I convert a string to a date in C with ECPG?', chunks)).toMatch(/^`rdefmtdate`/);
  });

  it('defines a term from the section its heading names, by the abbreviation the question uses', () => {
    const chunks = [
      chunk('1', 'You can make HOT updates more likely by lowering a table fillfactor. HOT updates still happen otherwise.', 'Heap-Only Tuples (HOT)'),
      chunk('2', 'To reduce the cost of updates, PostgreSQL has an optimization called heap-only tuples (HOT). It avoids new index entries when no indexed column changes.', 'Heap-Only Tuples (HOT)'),
    ];
    const context = new Map([['1', { before: 'Earlier text.' }], ['2', {}]]);
    expect(extractiveAnswer({ question: 'What is a HOT update?', chunks, context }).text).toMatch(/^To reduce the cost of updates, PostgreSQL has an optimization called heap-only tuples/);
  });

  it('reads a definition only where the subject opens a clause: not a command named after it', () => {
    const chunks = [
      chunk('1', 'CREATE TABLESPACE is a PostgreSQL extension.', 'Compatibility'),
      chunk('2', 'Tablespaces in PostgreSQL let administrators define locations in the file system for the files of database objects.', 'Managing'),
    ];
    expect(answer('What is a tablespace?', chunks)).toMatch(/^Tablespaces in PostgreSQL let administrators/);
    const clause = [
      chunk('1', 'Writing event triggers in C is described in a later chapter.', 'Languages'),
      chunk('2', 'Unlike regular triggers, which belong to a table, event triggers are global to a database and capture DDL events.', 'Overview'),
    ];
    expect(answer('What are event triggers?', clause)).toMatch(/^Unlike regular triggers, which belong to a table, event triggers are global/);
  });

  it('completes a supporting passage to the end of its thought', () => {
    const chunks = [
      chunk('1', 'New major versions of the server bring incompatibilities, so read the release notes of each major version before you upgrade.', 'Upgrading'),
      chunk('2', 'The storage format can change between major versions, which complicates an upgrade. The usual way to move data to a new major version is to dump and restore it. A faster way is pg_upgrade.', 'Upgrading'),
    ];
    expect(answer('How do I upgrade to a new major version?', chunks)).toContain('dump and restore it. A faster way is pg_upgrade. [2]');
  });

  it('shows the entry next to the lead one in the same table when it is nearly as good', () => {
    const chunks = [
      chunk('1', 'jsonb #> text[] → jsonb\n\nExtracts the JSON sub-object at the specified path, where path elements can be field keys or array indexes.\n\njsonb #>> text[] → text\n\nExtracts the JSON sub-object at the specified path as text.\n\njsonb - text → jsonb\n\nDeletes a key from a JSON object.', 'JSON Operators'),
    ];
    const text = answer('How do I extract a nested field from a json column as text?', chunks);
    expect(text).toContain('`jsonb #> text[] → jsonb`');
    expect(text).toContain('`jsonb #>> text[] → text`');
    expect(text).not.toContain('Deletes a key');
  });

  it("answers what a thing does from its own entry, not a longer-named setting's entry", () => {
    const chunks = [
      chunk('1', 'autovacuum_vacuum_cost_delay (floating point)\n\nPer-table value for the autovacuum cost delay.', 'Storage Parameters'),
      chunk('2', 'autovacuum (boolean)\n\nControls whether the server should run the autovacuum launcher daemon.', 'Automatic Vacuuming'),
    ];
    expect(answer('What does autovacuum do?', chunks)).toMatch(/^`autovacuum \(boolean\)`: Controls whether/);
  });

  it('answers a how-to with the entry whose description says it does that, over prose that shares more words', () => {
    const chunks = [
      chunk('1', 'Composite values can be built from multiple strings with the ROW syntax, one value per field, as in ROW(1, 2).', 'Constructing Composite Values'),
      chunk('2', 'string_agg ( value text, delimiter text ) → text\n\nConcatenates the non-null input values into a string, separated by the delimiter.', 'Aggregate Functions'),
    ];
    expect(answer('How do I concatenate strings from multiple rows into one value?', chunks)).toMatch(/^`string_agg \( value text, delimiter text \) → text`: Concatenates/);
  });

  it("reads a tool's name-and-purpose line as the answer to a how-to that asks for that purpose", () => {
    const chunks = [
      chunk('1', 'To prevent spoofing, the server must be configured to accept only hostssl connections.', 'Preventing Server Spoofing'),
      chunk('2', 'pg_isready returns 0 to the shell if the server is accepting connections normally.', 'Exit Status', 'pg_isready'),
    ];
    const openings = new Map([['2', { ...chunks[1]!.chunk, id: '2-open', content: 'pg_isready — check the connection status of a PostgreSQL server' }]]);
    const { text } = extractiveAnswer({ question: 'How do I check whether the server is accepting connections?', chunks, openings });
    expect(text).toMatch(/^pg_isready — check the connection status/);
  });

  it('shows a how-to the sentence naming the command that does it, not a setting named after the word', () => {
    const chunks = [
      chunk('1', 'When a standby is promoted, it becomes the new reference for the settings of the standbys that follow it, so keep them equal on the new primary.', 'Administrator Overview'),
      chunk('2', 'standby_promote (boolean)\n\nSets whether checks of the client connection run while a standby runs queries.', 'Connections'),
      chunk('3', 'To trigger failover of a standby server, run pg_ctl promote or call pg_promote().', 'Failover'),
    ];
    const text = answer('How do I promote a standby to become the new primary?', chunks);
    expect(text).toContain('run pg_ctl promote or call pg_promote(). [3]');
    expect(text).not.toContain('standby_promote');
  });

  it("describes a function by its first signature of several, not by the second signature's text", () => {
    const table = [
      'generate_series ( start integer, stop integer ) → setof integer',
      'generate_series ( start timestamp, stop timestamp, step interval ) → setof timestamp',
      'generate_series ( start timestamp with time zone, stop timestamp with time zone, step interval ) → setof timestamp with time zone',
      'Generates a series of values from start to stop, with a step size of step.',
    ].join('\n\n');
    expect(answer('How do I generate a series of timestamps?', [chunk('1', table)])).toBe('`generate_series ( start integer, stop integer ) → setof integer`: Generates a series of values from start to stop, with a step size of step. [1]');
  });

  it('shows a how-to the long example its lead passage introduces, whole', () => {
    const code = ['```', 'CREATE TABLE emp_audit (operation char(1) NOT NULL, stamp timestamp NOT NULL);', '', ...Array.from({ length: 14 }, (_, i) => `    -- step ${i}: record the operation in emp_audit with its time and user`), 'CREATE TRIGGER emp_audit AFTER INSERT OR UPDATE OR DELETE ON emp', '    FOR EACH ROW EXECUTE FUNCTION process_emp_audit();', '```'].join('\n');
    expect(code.length).toBeGreaterThan(900);
    const first = chunk('1', 'Example 43.4. A Trigger Function for Auditing\n\nThis example trigger records every insert, update or delete of a row of emp in the emp_audit table. The current time and user name are stamped into each row.', 'Triggers');
    const { text } = extractiveAnswer({ question: 'How do I write a trigger that keeps an audit log of changes?', chunks: [first], context: new Map([['1', { after: code }]]) });
    expect(text).toContain(code);
  });

  it('never answers with nothing: a chunk that is only a title, or only code, still gives its text with a marker', () => {
    expect(answer('What are event triggers?', [chunk('1', 'DROP EVENT TRIGGER — remove an event trigger')])).toBe('DROP EVENT TRIGGER — remove an event trigger [1]');
    const code = answer('How do I vacuum a table?', [chunk('1', '```sql\nVACUUM (VERBOSE) orders;\n```')]);
    expect(code).toContain('```sql\nVACUUM (VERBOSE) orders;\n```');
    expect(code).toMatch(/\[1\]/);
  });
});
