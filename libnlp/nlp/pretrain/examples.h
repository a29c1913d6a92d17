// Pretraining example builders over a Corpus: BERT next-sentence pairs, ALBERT sentence-order
// pairs, RoBERTa FULL-SENTENCES / DOC-SENTENCES packing and GPT contiguous blocks.
//
// A builder returns an ExampleSet: compact descriptors (token ranges into the memory-mapped
// shards plus literal separator tokens), not token copies, so even a corpus larger than memory
// gives a small example set. materialize() turns one descriptor into a Sequence with the special
// tokens and token_type_ids placed by the template of the set's kind:
//   SegmentPair  [CLS] A [SEP] B [SEP]      token_type_ids 0 for [CLS] A [SEP], 1 for B [SEP]
//   Single       [CLS] X [SEP]              all 0 (RoBERTa: set cls = <s>, sep = </s>)
//   Block        X                          all 0 (GPT: no template)
// Inside X, a literal separator (sep for RoBERTa packing, eos for GPT) marks document boundaries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nlp/pretrain/corpus.h"
#include "nlp/tokenizers/subword.h"

namespace nlp::pretrain {

// Special token ids of the tokenizer (-1 = the tokenizer has none) and word-start information
// for whole-word and span masking.
struct SpecialTokens {
  int32_t cls = -1;   // BERT [CLS]; RoBERTa <s>
  int32_t sep = -1;   // BERT [SEP]; RoBERTa </s>
  int32_t mask = -1;  // [MASK] / <mask>
  int32_t pad = -1;
  int32_t bos = -1;
  int32_t eos = -1;   // GPT-2 <|endoftext|>
  int64_t vocab_size = 0;
  // word_start[id] != 0 when token `id` begins a word (see word_start_table). Empty = every
  // token is its own word (whole-word masking then equals token masking).
  std::vector<uint8_t> word_start;

  bool is_special(int32_t id) const {
    return id >= 0 && (id == cls || id == sep || id == mask || id == pad || id == bos || id == eos);
  }
  bool is_word_start(int32_t id) const {
    return word_start.empty() || (id >= 0 && static_cast<size_t>(id) < word_start.size() && word_start[static_cast<size_t>(id)] != 0);
  }
};

// How a vocabulary marks word boundaries.
enum class WordStartScheme {
  WordPiece,      // continuation pieces start with "##" (BERT); everything else starts a word
  ByteLevelBpe,   // word-initial pieces start with "Ġ" (GPT-2, RoBERTa byte-level BPE)
  SentencePiece,  // word-initial pieces start with "▁" (ALBERT, XLNet, T5)
};
// word_start flags for a vocabulary given as id -> token string. Independently of the table, the
// first token of every sentence and the token after a special token always start a word (a
// byte-level BPE or SentencePiece sentence's first piece may lack the marker).
std::vector<uint8_t> word_start_table(const std::vector<std::string>& vocab, WordStartScheme scheme);
// Same, reading the vocabulary of a tokenizer (id_to_token for 0..vocab_size-1).
std::vector<uint8_t> word_start_table(const nlp::tok::SubwordTokenizer& tokenizer, WordStartScheme scheme);

enum class ExampleKind { SegmentPair, Single, Block };

// Either a token range of one shard, or (literal >= 0) one literal special token.
struct Piece {
  uint32_t shard = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
  int32_t literal = -1;
  uint64_t size() const { return literal >= 0 ? 1 : end - begin; }
};

struct ExampleRecord {
  uint64_t first_piece = 0;
  uint32_t num_a = 0;  // pieces of segment A (or of the whole text for Single / Block)
  uint32_t num_b = 0;  // pieces of segment B (SegmentPair only)
  int8_t label = -1;   // NSP: 1 = B is a random segment; SOP: 1 = swapped; -1 = none
};

struct ExampleSet {
  ExampleKind kind = ExampleKind::Single;
  std::vector<Piece> pieces;
  std::vector<ExampleRecord> records;
  uint64_t size() const { return records.size(); }
};

// Appends the examples of `src` to `dst` (same kind, else nlp::Error). BERT's static pipeline
// builds the pairs dupe_factor times with different randomness; do the same with
//   for d in 0..dupe-1: append_examples(all, build_segment_pairs(corpus, docs, cfg, mix_seed({seed, d})));
// and a Static dataset with dupe_factor = 1 (each copy then also gets its own masks).
void append_examples(ExampleSet& dst, const ExampleSet& src);

// One model input before masking. All vectors have the same length (no padding).
struct Sequence {
  std::vector<int32_t> input_ids;
  std::vector<int32_t> token_type_ids;
  std::vector<uint8_t> special_tokens_mask;  // 1 = template or special token: never masked
  std::vector<uint8_t> word_start;           // 1 = first token of a word
  int32_t label = -1;  // next_sentence_label / sentence_order_label (HF names); -1 = none
};

// Builds example `index` of `set` (templates above). Throws nlp::Error when a special id the
// template needs is -1 (cls/sep for SegmentPair and Single).
Sequence materialize(const Corpus& corpus, const ExampleSet& set, uint64_t index, const SpecialTokens& special);

// ---- BERT / ALBERT segment pairs ----------------------------------------------------------------
// The algorithm of BERT's create_pretraining_data.py (create_instances_from_document), per
// document of `documents` (global ids, in order):
//  * max_num_tokens = max_seq_length - 3; with probability short_seq_prob the document's target
//    length is uniform in [2, max_num_tokens] (drawn once per document, as the original does);
//  * sentences are accumulated into a chunk until it reaches the target length or the document
//    ends; A = the first a_end sentences of the chunk, a_end uniform in [1, len(chunk) - 1];
//  * NSP: with probability 0.5 (and always when the chunk has one sentence) B is taken from a
//    random other document of `documents` (10 tries to avoid the current one) starting at a
//    random sentence, until it reaches target - len(A); the unused chunk sentences are put back;
//    label 1. Otherwise B = the rest of the chunk, label 0.
//  * SOP (ALBERT's create_pretraining_data.py without random_next_sentence): B = the rest of the
//    chunk and with probability 0.5 A and B are swapped, label 1; a one-sentence chunk gets a
//    random B as in NSP, also label 1 (ALBERT's behaviour).
//  * truncate_seq_pair: while len(A) + len(B) > max_num_tokens, drop one token from the front or
//    the back (probability 0.5 each) of the longer segment (B when equal).
// Labels follow Hugging Face: next_sentence_label 0 = continuation, 1 = random;
// sentence_order_label 0 = original order, 1 = swapped.
enum class PairObjective { NextSentence, SentenceOrder };
struct PairConfig {
  int64_t max_seq_length = 128;
  double short_seq_prob = 0.1;
  PairObjective objective = PairObjective::NextSentence;
};
ExampleSet build_segment_pairs(const Corpus& corpus, const std::vector<uint64_t>& documents, const PairConfig& config,
                               uint64_t seed);

// ---- RoBERTa packing ----------------------------------------------------------------------------
// FULL-SENTENCES (RoBERTa section 4.2): whole sentences are packed greedily, in document order,
// into sequences of at most max_seq_length - 2 tokens (room for <s> ... </s>); a sequence may
// cross documents, with `separator` (the </s> id) inserted at each document boundary.
// DOC-SENTENCES: the same without crossing documents (the last sequence of a document may be
// short). A sentence longer than the limit is cut into limit-sized pieces.
enum class PackingMode { FullSentences, DocSentences };
struct PackConfig {
  int64_t max_seq_length = 512;
  PackingMode mode = PackingMode::FullSentences;
  int32_t separator = -1;  // document separator for FullSentences (required there)
};
ExampleSet build_packed_sequences(const Corpus& corpus, const std::vector<uint64_t>& documents, const PackConfig& config);

// ---- GPT blocks ---------------------------------------------------------------------------------
// The documents' tokens concatenated (in order), each document followed by `eos` when eos >= 0
// (GPT-2's <|endoftext|>), cut into contiguous blocks of block_size tokens; the remainder is
// dropped (Hugging Face run_clm.py group_texts). Labels for causal LM are the input_ids
// themselves: the model shifts them (HF convention).
ExampleSet build_causal_blocks(const Corpus& corpus, const std::vector<uint64_t>& documents, int64_t block_size,
                               int32_t eos = -1);

}  // namespace nlp::pretrain
