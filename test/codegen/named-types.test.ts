/**
 * Schemas the document names keep their names: the named-types fixture has `components/schemas/Zone` (a
 * union) used by four schemas, a `definitions` entry, a `$defs` entry, a shared schema file without a title
 * and two recursive schemas. Its committed output (equal to a fresh run: e2e.test.ts) is checked here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { buildFiles } from '../../codegen/index.js';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';
import {
  type Coordinates,
  type DeviceId,
  type GeoFenceUpdatedPayload,
  type GeoRegionUpdatedPayload,
  type GeoZoneEnteredPayload,
  type GeoZoneEnteredPayloadInput,
  type GeoZoneLeftPayload,
  type Region,
  registry,
  type Rule,
  type Zone,
  type ZoneInput,
  type ZoneLeft,
} from '../fixtures/codegen/named-types/generated/index.js';

const OUT = 'test/fixtures/codegen/named-types/generated';
const typeFiles = readdirSync(join(OUT, 'types')).filter((f) => f !== 'index.ts');
const typesText = typeFiles.map((f) => readFileSync(join(OUT, 'types', f), 'utf8')).join('\n');
const count = (re: RegExp) => typesText.match(new RegExp(re.source, `${re.flags}g`))?.length ?? 0;

describe('named schemas become named types', () => {
  it('Zone is declared once (with its input variant), in the components module, and every use refers to it', () => {
    expect(count(/^export type Zone = /m)).toBe(1);
    expect(count(/^export type ZoneInput = /m)).toBe(1);
    // The union's body is written once per variant: no inlined copies at its four uses.
    expect(count(/kind: 'circle'/)).toBe(2);
    expect(readFileSync(join(OUT, 'types/components.ts'), 'utf8')).toMatch(/^export type Zone = /m);
    expect(typesText).toMatch(/^ {2}zone: Zone;$/m);
    expect(typesText).toMatch(/^ {2}zones: Zone\[\];$/m);
    expect(typesText).toMatch(/\{ kind: 'inside'; zone: Zone \}/);
  });

  it('definitions, $defs and a shared file keep their names; a payload component is aliased by its channel', () => {
    expect(typesText).toMatch(/^export type DeviceId = string;$/m);
    expect(typesText).toMatch(/^export type Rule = /m);
    expect(readFileSync(join(OUT, 'types/common.ts'), 'utf8')).toMatch(/^export interface Coordinates \{$/m);
    expect(typesText).toMatch(/^export type GeoZoneLeftPayload = ZoneLeft;$/m);
    expect(typesText).toMatch(/^export type GeoRegionUpdatedPayload = Region;$/m);
    // Provenance and bounds stay on the declaration.
    expect(typesText).toContain(
      ' * From schemas/geo/_defs.json#/definitions/DeviceId\n * @maxLength 64\n * @pattern "^[a-z0-9-]+$"\n */\nexport type DeviceId',
    );
    expect(typesText).toContain(' * From asyncapi.yaml#/components/schemas/Zone\n */\nexport type Zone');
  });

  it('the types are what the schemas say (checked by tsc)', () => {
    expectTypeOf<GeoZoneEnteredPayload['zone']>().toEqualTypeOf<Zone>();
    expectTypeOf<GeoZoneEnteredPayloadInput['zone']>().toEqualTypeOf<ZoneInput>();
    expectTypeOf<GeoZoneEnteredPayload['position']>().toEqualTypeOf<Coordinates>();
    expectTypeOf<GeoZoneLeftPayload>().toEqualTypeOf<ZoneLeft>();
    expectTypeOf<ZoneLeft['device_id']>().toEqualTypeOf<DeviceId>();
    expectTypeOf<GeoRegionUpdatedPayload['subregions']>().toEqualTypeOf<Region[] | undefined>();
    expectTypeOf<GeoFenceUpdatedPayload['rule']>().toEqualTypeOf<Rule>();
    expectTypeOf<Extract<Rule, { kind: 'all' }>['rules']>().toEqualTypeOf<Rule[]>();
    expectTypeOf<Extract<ZoneInput, { kind: 'circle' }>['radius_m']>().toEqualTypeOf<number | undefined>();
    const region: Region = {
      name: 'eu',
      zones: [],
      subregions: [{ name: 'de', zones: [{ kind: 'polygon', points: [] }] }],
    };
    // @ts-expect-error — a zone is a circle or a polygon
    const bad: Zone = { kind: 'square', side: 1 };
    expect([region, bad]).toHaveLength(2);
  });

  it('the generated types compile on their own under tsc --strict', () => {
    const program = ts.createProgram([join(OUT, 'types/index.ts')], {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('the validators accept union and recursive payloads and reject a bad nested region by its pointer', () => {
    const entered = registry.require('geo.zone.entered');
    const ok = entered.validatePublish({
      device_id: 'dev-1',
      zone: { kind: 'circle', center: { lat: 1, lon: 2 } },
      position: { lat: 1, lon: 2 },
    });
    expect(ok.ok).toBe(true);
    const fence = registry.require('geo.fence.updated');
    expect(fence.validatePublish(structuredClone(fence.examples[0])).ok).toBe(true);
    const region = registry.require('geo.region.updated');
    const bad = region.validatePublish({ name: 'eu', zones: [], subregions: [{ name: 'de' }] });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.issues.map((i) => `${i.pointer} ${i.rule}`)).toContain(
      '/subregions/0/zones required',
    );
  });
});

describe('name collisions', () => {
  it('two different schemas named Zone stop codegen, naming both sources', async () => {
    const error = await buildFiles('test/fixtures/codegen-invalid/name-collision/asyncapi.yaml').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isCodegenError(error), String(error)).toBe(true);
    if (!isCodegenError(error)) return;
    expect(error.file).toBe('schemas/geo/_defs.json');
    expect(error.pointer).toBe('/definitions/Zone');
    expect(error.message).toContain('asyncapi.yaml#/components/schemas/Zone');
    expect(error.message).toContain('schemas/geo/_defs.json#/definitions/Zone');
  });
});
