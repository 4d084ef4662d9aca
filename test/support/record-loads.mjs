/**
 * `node --import ./test/support/record-loads.mjs …` with BLOODBANK_RECORD_LOADS=<file>: every ES module
 * the process loads is listed in that file (through the public module.register hooks).
 */
import { register } from 'node:module';

const out = process.env['BLOODBANK_RECORD_LOADS'];
if (!out) throw new Error('record-loads: set BLOODBANK_RECORD_LOADS to the file to write');
register('./record-loads-hooks.mjs', import.meta.url, { data: { out } });
