/**
 * Polymorphism as Springwolf writes it (issue 19): a base schema with a `discriminator` whose `oneOf` lists
 * subtypes that each `allOf: [{$ref: base}, {own properties}]`. Codegen reads each subtype's reference as
 * the base's own part (the base without its `oneOf`), with a warning naming the base, so types and
 * validators see one well-founded schema; a cycle without that pattern is still refused with its pointer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFiles } from '../../codegen/index.js';
import { writeFiles } from '../../codegen/write.js';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';
import type { Validator } from '../../runtime/registry.js';

const FIXTURE = resolve('test/fixtures/codegen/springwolf-polymorphic/asyncapi.json');
const BASE = '/components/schemas/io.example.fleet.dtos.VehicleBase';
const docs = mkdtempSync(join(tmpdir(), 'bb-poly-'));
mkdirSync('.try', { recursive: true });
const out = mkdtempSync(resolve('.try/poly-'));
afterAll(() => {
  rmSync(docs, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

/** Generate the fixture into .try/ (inside the repository, so `bloodbank/codegen-runtime` resolves). */
async function generateFixture(): Promise<string[]> {
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    if (String(chunk).includes('warning')) warnings.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const { files } = await buildFiles(FIXTURE, out);
    writeFiles(out, files);
  } finally {
    process.stderr.write = write;
  }
  return warnings;
}

function typeErrors(root: string): string[] {
  const config = ts.readConfigFile(resolve('tsconfig.json'), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, resolve('.'));
  const program = ts.createProgram([join(root, 'index.ts')], {
    ...parsed.options,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

async function refusal(name: string, text: string): Promise<unknown> {
  const input = join(docs, name);
  writeFileSync(input, text);
  return buildFiles(input, join(docs, 'out')).then(
    () => null,
    (e: unknown) => e,
  );
}

describe('Springwolf polymorphism (a base oneOf of subtypes that allOf the base)', () => {
  let warnings: string[] = [];

  it('the fixture generates, with a warning naming the base', async () => {
    warnings = await generateFixture();
    expect(warnings.join('')).toContain(`codegen: warning: asyncapi.json#${BASE}: its oneOf lists subtypes`);
  }, 120_000);

  it('its output type-checks strict', () => {
    expect(typeErrors(out)).toEqual([]);
  }, 120_000);

  it('its validators accept an electric and a gasoline vehicle and refuse an invalid one with a pointer', async () => {
    const v = (await import(/* @vite-ignore */ join(out, 'validators/index.ts'))) as Record<
      string,
      Validator
    >;
    const base = v['validateVehicleUpdates'] as Validator;
    const electric = v['validateVehicleQueue'] as Validator;
    const car = { vehicleType: 'electric', topSpeed: 180, batteryCapacity: 75, chargeTime: 40 };
    const truck = { vehicleType: 'gasoline', topSpeed: 120, fuelCapacity: 400, enginePower: { hp: 300 } };
    expect(base(car)).toMatchObject({ ok: true });
    expect(base(truck)).toMatchObject({ ok: true });
    expect(electric(car)).toMatchObject({ ok: true });
    // The subtype keeps the base's own part: its properties and required.
    const noType = electric({ topSpeed: 180 });
    expect(noType.ok).toBe(false);
    if (!noType.ok) expect(JSON.stringify(noType.issues)).toContain('vehicleType');
    const badBattery = electric({ vehicleType: 'electric', batteryCapacity: 'full' });
    expect(badBattery.ok).toBe(false);
    if (!badBattery.ok) expect(badBattery.issues.map((i) => i.pointer)).toContain('/batteryCapacity');
    // The base: an own property of the wrong type, and no subtype for the discriminator's value.
    const badSpeed = base({ vehicleType: 'gasoline', topSpeed: 'fast' });
    expect(badSpeed.ok).toBe(false);
    if (!badSpeed.ok) expect(badSpeed.issues.map((i) => i.pointer)).toContain('/topSpeed');
    expect(base({ vehicleType: 'diesel' }).ok).toBe(false);
  }, 120_000);

  it('a cycle without a oneOf that lists the subtype is still refused with its pointer', async () => {
    const error = await refusal(
      'self.yaml',
      `asyncapi: 3.0.0
info: { title: Self, version: 1.0.0 }
channels:
  things:
    messages:
      thing:
        payload: { $ref: '#/components/schemas/A' }
components:
  schemas:
    A:
      allOf: [{ $ref: '#/components/schemas/A' }]
`,
    );
    expect(isCodegenError(error), String(error)).toBe(true);
    if (!isCodegenError(error)) return;
    expect(error.pointer).toBe('/components/schemas/A');
    expect(error.message).toMatch(/refers to itself/);
  });
});
