/**
 * Every codegen fixture is a valid AsyncAPI document as @asyncapi/parser reads it (with the official Avro
 * schema parser registered): no error diagnostics, and a document model. This guards the fixtures
 * themselves: a fixture the parser refuses would test nothing about "any valid document".
 */
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { fromFile, Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { codegenFixtures } from '../support/codegen-fixtures.js';

const parser = new Parser();
parser.registerSchemaParser(AvroSchemaParser());

const fixtures = codegenFixtures();

describe('codegen fixtures are valid AsyncAPI documents', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const { document, diagnostics } = await fromFile(parser, fixture.document).parse();
    const errors = diagnostics
      .filter((d) => d.severity === 0)
      .map((d) => `${d.path.join('/')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
  });

  it('the fixtures cover AsyncAPI 2.0 to 2.6 and 3.0, in YAML and JSON', () => {
    const versions = new Set<string>();
    const formats = new Set<string>();
    for (const f of fixtures) {
      const match = /^\s*"?asyncapi"?\s*:\s*"?([0-9.]+)"?/m.exec(readFileSync(f.document, 'utf8'));
      versions.add(match?.[1] ?? '?');
      formats.add(f.document.endsWith('.json') ? 'json' : 'yaml');
    }
    expect([...versions].filter((v) => v.startsWith('2.')).length).toBeGreaterThanOrEqual(4);
    expect(versions).toContain('3.0.0');
    expect([...formats].sort()).toEqual(['json', 'yaml']);
  });

  it('yaml-flow-indent is YAML the parser reads and a strict YAML 1.2 library refuses (what it tests)', () => {
    const text = readFileSync('test/fixtures/codegen/yaml-flow-indent/asyncapi.yaml', 'utf8');
    expect(() => parseYaml(text)).toThrow(/indented/);
  });
});
