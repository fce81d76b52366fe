// run.js — runs an ONNX model in onnxruntime-node, as a deployer would:
//   node run.js MODEL.onnx INPUTS.json
// INPUTS.json is {"shape": [N, ...], "data": [N·… floats, row-major]}.
// Prints {"outputs": [[…], …], "inputs": [names], "output_names": [names]}
// (one row of outputs per input row) on stdout; exits 1 on any error.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputsPath] = process.argv.slice(2);
  if (!modelPath || !inputsPath)
    throw new Error('usage: node run.js MODEL.onnx INPUTS.json');
  const { shape, data } = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
  const session = await ort.InferenceSession.create(modelPath);
  const input = new ort.Tensor('float32', Float32Array.from(data), shape);
  const result = await session.run({ [session.inputNames[0]]: input });
  const out = result[session.outputNames[0]];
  const width = out.dims.slice(1).reduce((a, b) => a * b, 1);
  const rows = [];
  for (let r = 0; r < out.dims[0]; r++)
    rows.push(Array.from(out.data.slice(r * width, (r + 1) * width)));
  process.stdout.write(JSON.stringify({
    outputs: rows, inputs: session.inputNames, output_names: session.outputNames,
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`onnx-check: ${e.message}\n`);
  process.exit(1);
});
