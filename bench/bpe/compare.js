// Driver of bench/bpe/run.sh: trains our BPE (BpeBench) and Hugging Face's (hf_train.js) on the same files, alternating
// runs so machine load hits both alike, and prints Markdown tables of medians.
// usage: node compare.js <BpeBench.dll> <repeats> <vocab,...> name=file[+file...] ...
'use strict';
const { spawn, spawnSync } = require('child_process');
const path = require('path');

const [dll, repeatsArg, vocabsArg, ...corpusArgs] = process.argv.slice(2);
const repeats = Number(repeatsArg);
const vocabs = vocabsArg.split(',').map(Number);
const corpora = corpusArgs.map((arg) => {
  const [name, files] = arg.split('=');
  return { name, files: files.split('+') };
});
const HF_DEFAULT_VOCAB = 30000; // BpeTrainer::default(), the only trainer the npm binding runs

const now = () => performance.timeOrigin + performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const lastJson = (text) => JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('{')).pop());

// CPU seconds (user + sys) of a whole process, from GNU time: unlike wall time it barely moves with machine load.
const TIME = '/usr/bin/time';
const cpuSeconds = (text) => {
  const m = /^CPU ([\d.]+) ([\d.]+)$/m.exec(text);
  return m ? Number(m[1]) + Number(m[2]) : NaN;
};

function ours(args) {
  const run = spawnSync(TIME, ['-f', 'CPU %U %S', 'dotnet', dll, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`BpeBench ${args.join(' ')} failed:\n${run.stderr}`);
  return { ...lastJson(run.stdout), cpu: cpuSeconds(run.stderr) };
}

// Runs hf_train.js on a pseudo-terminal (so the Rust trainer draws its progress bars) and timestamps every redraw.
function hf(files) {
  const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [TIME, '-f', 'CPU %U %S', 'node', path.join(__dirname, 'hf_train.js'), ...files].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pending = '';
    const lines = [];
    child.stdout.on('data', (chunk) => {
      const at = now();
      pending += chunk.toString('utf8');
      const parts = pending.split(/\r|\n/);
      pending = parts.pop();
      for (const part of parts) lines.push({ at, text: part.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim() });
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`hf_train.js exited with ${code}`));
      const json = lines.filter((l) => l.text.startsWith('{')).map((l) => JSON.parse(l.text));
      const start = json.find((j) => j.start_ms !== undefined).start_ms;
      const result = json.find((j) => j.seconds !== undefined);
      const merges = [];
      let phaseStart = null;
      for (const { at, text } of lines) {
        const m = /Compute merges\s+\S*\s+(\d+)\s*\/\s*(\d+)/.exec(text);
        if (!m) continue;
        phaseStart ??= at;
        const [pos, len] = [Number(m[1]), Number(m[2])];
        if (pos <= len && (len === HF_DEFAULT_VOCAB || pos === len)) merges.push({ at, pos });
      }
      resolve({ ...result, cpu: cpuSeconds(lines.map((l) => l.text).join('\n')), start, phaseStart, merges });
    });
  });
}

// Seconds from the start of training until HF's trainer had `target` merges, interpolated between progress redraws.
function hfSecondsTo(run, target) {
  let previous = { at: run.phaseStart, pos: 0 };
  for (const sample of run.merges) {
    if (sample.pos >= target) {
      const fraction = sample.pos === previous.pos ? 1 : (target - previous.pos) / (sample.pos - previous.pos);
      return (previous.at + fraction * (sample.at - previous.at) - run.start) / 1000;
    }
    previous = sample;
  }
  return run.seconds; // ran out of pairs before the target: the whole training
}

async function main() {
  const rows = [];
  for (const corpus of corpora) {
    const times = Object.fromEntries(vocabs.map((v) => [v, { ours: [], hf: [], oursCpu: [], hfCpu: [], oursVocab: 0, hfVocab: 0 }]));
    for (let r = 0; r < repeats; r++) {
      const run = await hf(corpus.files);
      for (const vocab of vocabs) {
        // Same vocabulary size as ours: alphabet + merges + the one special token ours has.
        const t = times[vocab];
        const target = vocab - 1 - run.alphabet;
        const reached = Math.min(vocab, run.vocab_size + 1);
        t.hf.push(vocab >= HF_DEFAULT_VOCAB ? run.seconds : hfSecondsTo(run, target));
        t.hfVocab = vocab >= HF_DEFAULT_VOCAB ? run.vocab_size : reached;
        const mine = ours(['train', String(vocab), ...corpus.files]);
        t.ours.push(mine.seconds);
        t.oursCpu.push(mine.cpu);
        t.hfCpu.push(run.cpu);
        t.oursVocab = mine.vocab_size;
      }
      process.stderr.write(`${corpus.name}: run ${r + 1}/${repeats} done\n`);
    }
    for (const vocab of vocabs) {
      const t = times[vocab];
      const [o, h] = [median(t.ours), median(t.hf)];
      // HF's process always trains to 30000, so its CPU time is only comparable on the full-size rows.
      const hfCpu = vocab >= HF_DEFAULT_VOCAB ? median(t.hfCpu).toFixed(2) : '–';
      rows.push(`| ${corpus.name} | ${vocab} | ${o.toFixed(2)} | ${h.toFixed(2)} | **${(o / h).toFixed(2)}** | ${t.oursVocab} / ${t.hfVocab} | ${median(t.oursCpu).toFixed(2)} / ${hfCpu} |`);
    }
  }

  console.log(`Training (median of ${repeats} fresh processes each; seconds from reading the files to a trained vocabulary):\n`);
  console.log('| corpus | vocab | ours s | HF s | ratio ours/HF | vocab reached ours / HF | process CPU s ours / HF |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  rows.forEach((row) => console.log(row));

  console.log('\nEncoding with ParallelEncoder (one document; best of 3 after a warm-up; MB of UTF-8 input per second):\n');
  console.log('| corpus | tokenizer | tokens | 1 thread MB/s | all cores MB/s |');
  console.log('|---|---|---:|---:|---:|');
  for (const corpus of corpora) {
    for (const kind of ['bpe', 'gpt2']) {
      const e = ours(['encode', kind, String(vocabs[0]), corpus.files[0]]);
      const label = kind === 'bpe' ? `bpe ${vocabs[0]}` : 'gpt2';
      console.log(`| ${corpus.name} | ${label} | ${e.tokens} | ${e.mb_per_s_1.toFixed(1)} | ${e.mb_per_s_n.toFixed(1)} (${e.threads} threads) |`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
