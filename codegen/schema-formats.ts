/** Payload schema formats (a module of its own: the main thread must not load @asyncapi/parser). */

/** The formats a registered schema parser converts to JSON Schema (validate-document.ts registers it). */
export const AVRO = /^application\/vnd\.apache\.avro/i;

/** JSON Schema family: the document's own schema is used (by pointer); anything else arrives converted. */
export function isJsonSchemaFormat(format: string | null): boolean {
  if (format === null) return true;
  const f = format.toLowerCase();
  return (
    f.startsWith('application/vnd.aai.asyncapi') ||
    f.startsWith('application/schema+json') ||
    f.startsWith('application/schema+yaml') ||
    f === 'application/json' ||
    f === 'application/schema'
  );
}
