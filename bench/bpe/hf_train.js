// Trains Hugging Face tokenizers' byte-level BPE (Rust core, npm `tokenizers`) on the given files and prints one JSON
// line. Set up like our trainer: ByteLevel pre-tokenizer with GPT-2's regex and no added prefix space.
// The npm binding only trains with BpeTrainer::default() (vocab_size 30000, no special tokens, alphabet = bytes seen):
// `Tokenizer.train(files)` takes no trainer. run.sh therefore reads the time to smaller vocab sizes off the trainer's
// own "Compute merges" progress bar (drawn to a pseudo-terminal), see compare.js.
const { Tokenizer, BPE, byteLevelPreTokenizer } = require('tokenizers');

const files = process.argv.slice(2);
const tokenizer = new Tokenizer(BPE.empty());
tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));

console.log(JSON.stringify({ start_ms: performance.timeOrigin + performance.now() }));
const start = process.hrtime.bigint();
tokenizer.train(files);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

const vocab = tokenizer.getVocab();
const alphabet = Object.keys(vocab).filter((token) => [...token].length === 1).length;
console.log(JSON.stringify({ seconds, vocab_size: tokenizer.getVocabSize(), alphabet }));
