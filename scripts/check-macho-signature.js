#!/usr/bin/env node
// Apple silicon kills a process that maps arm64 code whose signature does not match
// (an ad-hoc one is enough; the linker makes it). Without a Mac, this is the check
// that can be had: find LC_CODE_SIGNATURE, read its CodeDirectory, and recompute the
// SHA-256 of every page it covers. Prints what it found; exits 1 on any mismatch.
//   node scripts/check-macho-signature.js FILE
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');

const file = process.argv[2];
const buf = readFileSync(file);
const fail = (why) => {
  console.log(`FAIL: ${why}`);
  process.exit(1);
};
if (buf.readUInt32LE(0) !== 0xfeedfacf) fail('not a 64-bit little-endian Mach-O file');
const LC_CODE_SIGNATURE = 0x1d;
const ncmds = buf.readUInt32LE(16);
let off = 32; // sizeof(mach_header_64)
let sig;
for (let i = 0; i < ncmds; i++) {
  const cmd = buf.readUInt32LE(off);
  if (cmd === LC_CODE_SIGNATURE) sig = { dataoff: buf.readUInt32LE(off + 8), datasize: buf.readUInt32LE(off + 12) };
  off += buf.readUInt32LE(off + 4);
}
if (!sig) fail('no LC_CODE_SIGNATURE: macOS on arm64 refuses to run unsigned code');

// The signature blobs are big-endian (xnu's cs_blobs.h).
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CS_HASHTYPE_SHA256 = 2;
const CS_ADHOC = 0x2;
const sb = sig.dataoff;
if (buf.readUInt32BE(sb) !== CSMAGIC_EMBEDDED_SIGNATURE) fail('signature is not an embedded-signature SuperBlob');
const count = buf.readUInt32BE(sb + 8);
let cd;
for (let i = 0; i < count; i++) {
  const blob = sb + buf.readUInt32BE(sb + 12 + i * 8 + 4);
  if (buf.readUInt32BE(blob) === CSMAGIC_CODEDIRECTORY) cd = blob;
}
if (cd === undefined) fail('no CodeDirectory in the signature');
const flags = buf.readUInt32BE(cd + 12);
const hashOffset = buf.readUInt32BE(cd + 16);
const identOffset = buf.readUInt32BE(cd + 20);
const nCodeSlots = buf.readUInt32BE(cd + 28);
const codeLimit = buf.readUInt32BE(cd + 32);
const hashSize = buf.readUInt8(cd + 36);
const hashType = buf.readUInt8(cd + 37);
const pageSize = 2 ** buf.readUInt8(cd + 39);
if (hashType !== CS_HASHTYPE_SHA256 || hashSize !== 32) fail(`hash type ${hashType} (size ${hashSize}), expected SHA-256`);
if (codeLimit !== sig.dataoff) fail(`the signature covers ${codeLimit} bytes, the code ends at ${sig.dataoff}`);
if (nCodeSlots !== Math.ceil(codeLimit / pageSize)) fail(`${nCodeSlots} page hashes for ${codeLimit} bytes in ${pageSize}-byte pages`);
for (let i = 0; i < nCodeSlots; i++) {
  const page = buf.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit));
  const want = buf.subarray(cd + hashOffset + i * hashSize, cd + hashOffset + (i + 1) * hashSize);
  if (!createHash('sha256').update(page).digest().equals(want)) fail(`page ${i} does not match its hash`);
}
const ident = buf.toString('latin1', cd + identOffset, buf.indexOf(0, cd + identOffset));
console.log(`code signature: ${(flags & CS_ADHOC) !== 0 ? 'ad-hoc' : `flags 0x${flags.toString(16)}`}, identifier '${ident}', all ${nCodeSlots} page hashes (SHA-256, ${pageSize}-byte pages) match`);
