// A real onnxruntime profile of one model run, for tests/traces/ (development only: CI reads the
// committed profiles and never needs node).
//
//   mkdir -p /tmp/ort && cd /tmp/ort && npm init -y && npm install onnxruntime-node
//   # (the package's install script fetches CUDA binaries from nuget.org; where that host cannot be
//   #  reached, `npm install --ignore-scripts onnxruntime-node`: the CPU library ships in the package)
//   cd /tmp/ort && node /path/to/tests/measure/ort_profile.mjs MODEL.onnx OUT.json NAME=d0,d1,... [--level L]
//
// Runs MODEL once on the CPU (one thread) with profiling on, every input a float32 tensor of the
// given dims filled with 0.5, and writes the profile onnxruntime wrote to OUT.json, unchanged.
// --level is onnxruntime's graphOptimizationLevel: disabled (the model's nodes as they are),
// basic, extended or all (onnxruntime's default: fused and re-laid-out nodes).
// onnxruntime-node is resolved from the current directory. The committed profiles were made with
// onnxruntime-node 1.31.1 (node 20):
//   ort_profile.mjs tests/models/tiny_conv.onnx tests/traces/onnxruntime-1.31-tiny_conv.json X=1,3,8,8 --level disabled
//   ort_profile.mjs tests/models/tiny_conv.onnx tests/traces/onnxruntime-1.31-tiny_conv-optimized.json X=1,3,8,8 --level all

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'noop.js'));
const ort = require('onnxruntime-node');
const version = require('onnxruntime-node/package.json').version;

const args = process.argv.slice(2);
let level = 'all';
const levelAt = args.indexOf('--level');
if (levelAt >= 0) {
  level = args[levelAt + 1];
  args.splice(levelAt, 2);
}
if (args.length < 3) {
  console.error('usage: ort_profile.mjs MODEL.onnx OUT.json NAME=d0,d1,... [NAME=...] [--level disabled|basic|extended|all]');
  process.exit(2);
}
const [model, out, ...inputSpecs] = args;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
const prefix = path.join(work, 'profile');
const session = await ort.InferenceSession.create(path.resolve(model), {
  executionProviders: ['cpu'],
  graphOptimizationLevel: level,
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  enableProfiling: true,
  profileFilePrefix: prefix,
});
const feeds = {};
for (const spec of inputSpecs) {
  const [name, dims] = spec.split('=');
  const shape = dims.split(',').map(Number);
  feeds[name] = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape);
}
const results = await session.run(feeds);
session.endProfiling();
await session.release();

const written = fs.readdirSync(work).filter((f) => f.startsWith('profile') && f.endsWith('.json'));
if (written.length !== 1) {
  console.error(`expected one profile in ${work}, found ${written.length}`);
  process.exit(1);
}
fs.copyFileSync(path.join(work, written[0]), out);
fs.rmSync(work, { recursive: true });
for (const [name, t] of Object.entries(results))
  console.log(`${name}: [${t.dims.join(', ')}]`);
console.log(`onnxruntime-node ${version}, graphOptimizationLevel ${level}: wrote ${out}`);
