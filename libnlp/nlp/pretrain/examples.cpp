#include "nlp/pretrain/examples.h"

#include <algorithm>

#include "nlp/pretrain/rng.h"
#include "nlp/util/error.h"

namespace nlp::pretrain {

std::vector<uint8_t> word_start_table(const std::vector<std::string>& vocab, WordStartScheme scheme) {
  std::vector<uint8_t> out(vocab.size(), 0);
  for (size_t i = 0; i < vocab.size(); ++i) {
    const std::string& t = vocab[i];
    switch (scheme) {
      case WordStartScheme::WordPiece: out[i] = t.rfind("##", 0) != 0; break;
      case WordStartScheme::ByteLevelBpe: out[i] = t.rfind("\xC4\xA0", 0) == 0; break;       // U+0120 'Ġ'
      case WordStartScheme::SentencePiece: out[i] = t.rfind("\xE2\x96\x81", 0) == 0; break;  // U+2581 '▁'
    }
  }
  return out;
}

std::vector<uint8_t> word_start_table(const nlp::tok::SubwordTokenizer& tokenizer, WordStartScheme scheme) {
  std::vector<std::string> vocab;
  vocab.reserve(static_cast<size_t>(tokenizer.vocab_size()));
  for (int64_t id = 0; id < tokenizer.vocab_size(); ++id) vocab.push_back(tokenizer.id_to_token(static_cast<int32_t>(id)));
  return word_start_table(vocab, scheme);
}

// ---------------------------------------------------------------- materialize

Sequence materialize(const Corpus& corpus, const ExampleSet& set, uint64_t index, const SpecialTokens& special) {
  if (index >= set.records.size())
    fail("ExampleSet", "example " + std::to_string(index) + " out of range (" + std::to_string(set.size()) + " examples)");
  if (set.kind != ExampleKind::Block && (special.cls < 0 || special.sep < 0))
    fail("SpecialTokens", std::string("the ") + (set.kind == ExampleKind::SegmentPair ? "segment-pair" : "single-sequence") +
                              " template needs cls and sep ids (got cls=" + std::to_string(special.cls) +
                              ", sep=" + std::to_string(special.sep) + ")");
  const ExampleRecord& rec = set.records[index];
  Sequence seq;
  seq.label = rec.label;
  bool prev_special = true;
  auto push = [&](int32_t id, int32_t type, bool is_special, bool starts_word) {
    seq.input_ids.push_back(id);
    seq.token_type_ids.push_back(type);
    seq.special_tokens_mask.push_back(is_special ? 1 : 0);
    seq.word_start.push_back(is_special || starts_word || prev_special ? 1 : 0);
    prev_special = is_special;
  };
  auto emit = [&](uint64_t first, uint32_t n, int32_t type) {
    for (uint64_t k = first; k < first + n; ++k) {
      const Piece& p = set.pieces[k];
      if (p.literal >= 0) {
        push(p.literal, type, true, true);
        continue;
      }
      const TokenShard& sh = corpus.shard(p.shard);
      // first sentence starting at or after p.begin
      uint64_t lo = 0, hi = sh.num_sentences();
      while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (sh.sentence_offset(mid) < p.begin) lo = mid + 1;
        else hi = mid;
      }
      uint64_t s = lo;
      for (uint64_t t = p.begin; t < p.end; ++t) {
        bool sentence_start = false;
        if (s <= sh.num_sentences() && sh.sentence_offset(s) == t) {
          sentence_start = true;
          ++s;
        }
        int32_t id = sh.token(t);
        push(id, type, special.is_special(id), t == p.begin || sentence_start || special.is_word_start(id));
      }
    }
  };
  switch (set.kind) {
    case ExampleKind::SegmentPair:
      push(special.cls, 0, true, true);
      emit(rec.first_piece, rec.num_a, 0);
      push(special.sep, 0, true, true);
      emit(rec.first_piece + rec.num_a, rec.num_b, 1);
      push(special.sep, 1, true, true);
      break;
    case ExampleKind::Single:
      push(special.cls, 0, true, true);
      emit(rec.first_piece, rec.num_a, 0);
      push(special.sep, 0, true, true);
      break;
    case ExampleKind::Block:
      emit(rec.first_piece, rec.num_a, 0);
      break;
  }
  return seq;
}

void append_examples(ExampleSet& dst, const ExampleSet& src) {
  if (dst.records.empty() && dst.pieces.empty()) dst.kind = src.kind;
  if (dst.kind != src.kind) fail("append_examples", "cannot append examples of another kind (pairs, single sequences, blocks)");
  const uint64_t offset = dst.pieces.size();
  dst.pieces.insert(dst.pieces.end(), src.pieces.begin(), src.pieces.end());
  for (ExampleRecord r : src.records) {
    r.first_piece += offset;
    dst.records.push_back(r);
  }
}

// ---------------------------------------------------------------- segment pairs

namespace {

struct Seg {
  uint64_t begin, end;
  uint64_t size() const { return end - begin; }
};

// BERT's truncate_seq_pair on token ranges.
void truncate_seq_pair(Seg& a, Seg& b, uint64_t max_num_tokens, Rng& rng) {
  while (a.size() + b.size() > max_num_tokens) {
    Seg& trunc = a.size() > b.size() ? a : b;
    if (rng.uniform01() < 0.5) ++trunc.begin;
    else --trunc.end;
  }
}

}  // namespace

ExampleSet build_segment_pairs(const Corpus& corpus, const std::vector<uint64_t>& documents, const PairConfig& config,
                               uint64_t seed) {
  if (config.max_seq_length < 5)
    fail("PairConfig", "max_seq_length must be >= 5 ([CLS] A [SEP] B [SEP]), got " + std::to_string(config.max_seq_length));
  if (!(config.short_seq_prob >= 0.0 && config.short_seq_prob <= 1.0))
    fail("PairConfig", "short_seq_prob must be in [0, 1], got " + std::to_string(config.short_seq_prob));
  ExampleSet out;
  out.kind = ExampleKind::SegmentPair;
  if (documents.empty()) return out;
  std::vector<Corpus::Document> docs;
  docs.reserve(documents.size());
  for (uint64_t d : documents) docs.push_back(corpus.document(d));

  Rng rng(mix_seed({seed, 0xB3A7ull}));
  const uint64_t max_num_tokens = static_cast<uint64_t>(config.max_seq_length - 3);
  const bool sop = config.objective == PairObjective::SentenceOrder;

  for (size_t di = 0; di < docs.size(); ++di) {
    const Corpus::Document& doc = docs[di];
    const uint64_t n = doc.num_sentences();
    uint64_t target = max_num_tokens;
    if (rng.uniform01() < config.short_seq_prob) target = static_cast<uint64_t>(rng.uniform_int(2, static_cast<int64_t>(max_num_tokens)));

    uint64_t chunk_start = 0, chunk_len_tokens = 0;
    for (uint64_t i = 0; i < n; ++i) {
      chunk_len_tokens += corpus.sentence(doc, i).size();
      if (!(i == n - 1 || chunk_len_tokens >= target)) continue;
      const uint64_t chunk_sentences = i + 1 - chunk_start;
      uint64_t a_end = 1;
      if (chunk_sentences >= 2) a_end = static_cast<uint64_t>(rng.uniform_int(1, static_cast<int64_t>(chunk_sentences) - 1));
      Seg a{corpus.sentence(doc, chunk_start).begin, corpus.sentence(doc, chunk_start + a_end - 1).end};
      Seg b{0, 0};
      uint32_t b_shard = doc.shard;
      int8_t label = 0;
      bool random_b = chunk_sentences == 1 || (!sop && rng.uniform01() < 0.5);
      bool swap = false;
      if (random_b) {
        label = 1;
        uint64_t target_b = target > a.size() ? target - a.size() : 0;
        size_t rd = di;
        for (int t = 0; t < 10; ++t) {
          rd = static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(docs.size()) - 1));
          if (rd != di) break;
        }
        const Corpus::Document& rdoc = docs[rd];
        uint64_t start = static_cast<uint64_t>(rng.uniform_int(0, static_cast<int64_t>(rdoc.num_sentences()) - 1));
        b.begin = corpus.sentence(rdoc, start).begin;
        b.end = b.begin;
        for (uint64_t j = start; j < rdoc.num_sentences(); ++j) {
          b.end = corpus.sentence(rdoc, j).end;
          if (b.size() >= target_b) break;
        }
        b_shard = rdoc.shard;
        i -= chunk_sentences - a_end;  // put the unused sentences back
      } else {
        b = {corpus.sentence(doc, chunk_start + a_end).begin, corpus.sentence(doc, i).end};
        if (sop && rng.uniform01() < 0.5) {
          swap = true;
          label = 1;
        }
      }
      uint32_t a_shard = doc.shard;
      if (swap) {  // ALBERT swaps before truncating
        std::swap(a, b);
        std::swap(a_shard, b_shard);
      }
      truncate_seq_pair(a, b, max_num_tokens, rng);
      Piece pa{a_shard, a.begin, a.end, -1};
      Piece pb{b_shard, b.begin, b.end, -1};
      out.records.push_back({out.pieces.size(), 1, 1, label});
      out.pieces.push_back(pa);
      out.pieces.push_back(pb);
      chunk_start = i + 1;
      chunk_len_tokens = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------- packing and blocks

namespace {

// Accumulates pieces of the example being built, merging adjacent ranges of the same shard.
struct Packer {
  ExampleSet& set;
  uint64_t first = 0;
  uint64_t length = 0;
  explicit Packer(ExampleSet& s) : set(s), first(s.pieces.size()) {}
  void add_range(uint32_t shard, uint64_t b, uint64_t e) {
    if (set.pieces.size() > first) {
      Piece& last = set.pieces.back();
      if (last.literal < 0 && last.shard == shard && last.end == b) {
        last.end = e;
        length += e - b;
        return;
      }
    }
    set.pieces.push_back({shard, b, e, -1});
    length += e - b;
  }
  void add_literal(int32_t id) {
    set.pieces.push_back({0, 0, 0, id});
    ++length;
  }
  void finish() {
    if (length > 0) set.records.push_back({first, static_cast<uint32_t>(set.pieces.size() - first), 0, -1});
    else set.pieces.resize(first);
    first = set.pieces.size();
    length = 0;
  }
};

}  // namespace

ExampleSet build_packed_sequences(const Corpus& corpus, const std::vector<uint64_t>& documents, const PackConfig& config) {
  if (config.max_seq_length < 3)
    fail("PackConfig", "max_seq_length must be >= 3 (<s> X </s>), got " + std::to_string(config.max_seq_length));
  if (config.mode == PackingMode::FullSentences && config.separator < 0)
    fail("PackConfig", "FULL-SENTENCES packing needs the document separator id (separator = </s>)");
  ExampleSet out;
  out.kind = ExampleKind::Single;
  const uint64_t limit = static_cast<uint64_t>(config.max_seq_length - 2);
  Packer pk(out);
  for (uint64_t d : documents) {
    const Corpus::Document doc = corpus.document(d);
    bool first_in_doc = true;
    for (uint64_t s = 0; s < doc.num_sentences(); ++s) {
      const TokenRange r = corpus.sentence(doc, s);
      for (uint64_t b = r.begin; b < r.end; b += limit) {
        const uint64_t e = std::min(r.end, b + limit);
        bool sep = config.mode == PackingMode::FullSentences && first_in_doc && pk.length > 0;
        if (pk.length + (e - b) + (sep ? 1 : 0) > limit) {
          pk.finish();
          sep = false;
        }
        if (sep) pk.add_literal(config.separator);
        pk.add_range(doc.shard, b, e);
        first_in_doc = false;
      }
    }
    if (config.mode == PackingMode::DocSentences) pk.finish();
  }
  pk.finish();
  return out;
}

ExampleSet build_causal_blocks(const Corpus& corpus, const std::vector<uint64_t>& documents, int64_t block_size,
                               int32_t eos) {
  if (block_size < 1) fail("build_causal_blocks", "block_size must be >= 1, got " + std::to_string(block_size));
  ExampleSet out;
  out.kind = ExampleKind::Block;
  const uint64_t bs = static_cast<uint64_t>(block_size);
  Packer pk(out);
  for (uint64_t d : documents) {
    const Corpus::Document doc = corpus.document(d);
    const TokenShard& sh = corpus.shard(doc.shard);
    uint64_t b = sh.sentence_offset(doc.first_sentence);
    const uint64_t e = sh.sentence_offset(doc.end_sentence);
    while (b < e) {
      uint64_t take = std::min(e - b, bs - pk.length);
      pk.add_range(doc.shard, b, b + take);
      b += take;
      if (pk.length == bs) pk.finish();
    }
    if (eos >= 0) {
      pk.add_literal(eos);
      if (pk.length == bs) pk.finish();
    }
  }
  // drop the remainder (run_clm.py group_texts)
  out.pieces.resize(pk.first);
  return out;
}

}  // namespace nlp::pretrain
