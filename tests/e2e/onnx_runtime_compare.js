// Runs an exported ONNX model in ONNX Runtime (onnxruntime-node) on raw rows
// and compares its outputs with gradstream's Predict for the same rows.
// usage: node onnx_runtime_compare.js NODE_MODULES MODEL.onnx INPUT_SHAPE ROWS.csv PREDICT.json TOLERANCE
//   INPUT_SHAPE: one sample's shape, e.g. 1,28,28; ROWS.csv: one raw sample per line;
//   PREDICT.json: `gradstream predict --json` of the same rows.
// Prints "rows N outputs M max_abs_diff D"; exits 1 when D > TOLERANCE.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [modules, modelPath, shapeText, rowsPath, predictPath, toleranceText] =
      process.argv.slice(2);
  const ort = require(path.join(modules, 'onnxruntime-node'));
  const sample = shapeText.split(',').map(Number);
  const lines = fs.readFileSync(rowsPath, 'utf8').split('\n').filter((l) => l.length > 0);
  const values = new Float32Array(lines.flatMap((l) => l.split(',').map(Number)));
  const session = await ort.InferenceSession.create(modelPath);
  const input = new ort.Tensor('float32', values, [lines.length, ...sample]);
  const result = await session.run({[session.inputNames[0]]: input});
  const actual = result[session.outputNames[0]];
  const expected = JSON.parse(fs.readFileSync(predictPath, 'utf8')).outputs;
  if (actual.data.length !== expected.length) {
    console.error(`ONNX Runtime gave ${actual.data.length} outputs, Predict ${expected.length}`);
    process.exit(1);
  }
  let worst = 0;
  let at = 0;
  for (let i = 0; i < expected.length; ++i) {
    const diff = Math.abs(actual.data[i] - expected[i]);
    if (!(diff <= worst)) { worst = diff; at = i; }  // NaN counts as the worst
  }
  console.log(`rows ${lines.length} outputs ${expected.length} max_abs_diff ${worst} at ${at}` +
              ` (onnx ${actual.data[at]}, predict ${expected[at]})`);
  process.exit(worst <= Number(toleranceText) ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
