// Pretraining corpus pipeline: streaming readers for raw text, a tokenize-once binary shard cache
// (memory-mapped), a multi-file Corpus view and a deterministic train/validation split.
//
// Input formats (one file = one shard):
//   Text           one sentence (or line) per row; a blank (all-whitespace) row ends a document,
//                  as BERT's create_pretraining_data.py expects.
//   WikiExtractor  `<doc ...>` / `</doc>` rows delimit documents; blank rows (paragraph breaks)
//                  are ignored. (The format of wiki_00.txt in ../shared/data/corpus.)
//   Jsonl          one JSON object per row; its string field `jsonl_field` ("text") is one
//                  document whose non-blank lines are its sentences.
//   Tsv            tab-separated with a header row (GLUE style, no quoting); the column
//                  `tsv_column` ("sentence") of each row is one one-sentence document (e.g. the
//                  unlabelled SST-2 sentences).
//   Auto           .jsonl/.json -> Jsonl; .tsv -> Tsv; else WikiExtractor when the first non-blank row starts
//                  with "<doc ", else Text.
// Rows are read one at a time (std::getline), so files larger than memory are fine. A trailing
// '\r' is stripped. Sentences that tokenize to nothing and documents without sentences are
// dropped. `max_sentences_per_document` (0 = off) cuts longer documents into several (e.g. the
// KJV bible file has no blank lines at all, so it is otherwise one 31,102-verse document).
//
// Shard file (native little-endian; all offsets in elements):
//   header (128 bytes): magic "NLPSHARD", u32 version (=1), u32 header_size (=128),
//     u64 tokenizer_fingerprint, u64 source_size, i64 source_mtime_ns, u64 options_hash,
//     u64 vocab_size, u64 num_tokens, u64 num_sentences, u64 num_documents, u64 checksum,
//     zero padding
//   int32 tokens[num_tokens], zero-padded to a multiple of 8 bytes
//   u64 sentence_offsets[num_sentences + 1]   token offset where sentence s starts
//   u64 document_offsets[num_documents + 1]   sentence index where document d starts
// checksum = 64-bit FNV-1a over the body read as little-endian u64 words. The file is written
// with nlp::write_atomic_with (temp file + rename), so a reader never sees half a shard.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace nlp::pretrain {

// Tokenizer as a parameter: text of one sentence -> token ids (no special tokens added).
using TokenizeFn = std::function<std::vector<int32_t>(std::string_view)>;

enum class CorpusFormat { Auto, Text, WikiExtractor, Jsonl, Tsv };

struct CorpusReadOptions {
  CorpusFormat format = CorpusFormat::Auto;
  std::string jsonl_field = "text";
  std::string tsv_column = "sentence";
  size_t max_sentences_per_document = 0;  // 0 = keep documents whole
};

// Resolves CorpusFormat::Auto for `path` (peeks at the first non-blank row).
CorpusFormat detect_format(const std::string& path, CorpusFormat requested);

// Streams the sentences of a raw corpus file. `on_sentence(text, line_number)` is called for each
// sentence, `on_document_end()` after the last sentence of each document (only for documents that
// had at least one sentence). Throws nlp::Error "<path>:<line>: ..." on malformed JSONL/TSV rows and
// "<path>: cannot open file" when unreadable.
void for_each_sentence(const std::string& path, const CorpusReadOptions& options,
                       const std::function<void(std::string_view sentence, uint64_t line)>& on_sentence,
                       const std::function<void()>& on_document_end);

// 64-bit FNV-1a of bytes: a helper to build tokenizer fingerprints (hash the vocabulary file
// contents plus the options that change tokenization, e.g. lower-casing).
uint64_t fnv1a64(std::string_view bytes, uint64_t seed = 0xCBF29CE484222325ull);

// What a shard was built from; a cached shard whose stamp differs is stale and gets rebuilt.
struct ShardStamp {
  uint64_t tokenizer_fingerprint = 0;
  uint64_t source_size = 0;
  int64_t source_mtime_ns = 0;
  uint64_t options_hash = 0;  // hash of the resolved format, jsonl_field, tsv_column, max_sentences_per_document
  uint64_t vocab_size = 0;
  bool operator==(const ShardStamp& o) const;
  bool operator!=(const ShardStamp& o) const { return !(*this == o); }
};

// The stamp `source_path` + tokenizer + options would produce now (stats the source file).
ShardStamp current_stamp(const std::string& source_path, const CorpusReadOptions& options,
                         uint64_t tokenizer_fingerprint, uint64_t vocab_size);

// Tokenizes `source_path` once (streaming) into the shard file `shard_path`, atomically.
// Token ids must lie in [0, vocab_size): otherwise nlp::Error "<source>:<line>: token id ...".
void build_shard(const std::string& source_path, const std::string& shard_path, const TokenizeFn& tokenize,
                 uint64_t tokenizer_fingerprint, uint64_t vocab_size, const CorpusReadOptions& options = {});

// Half-open range of token offsets into one shard's flat token array.
struct TokenRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - begin; }
};

// A read-only, memory-mapped shard. Move-only.
class TokenShard {
 public:
  // Maps `path` and validates it: magic, version, sizes, monotone offsets and (when
  // verify_checksum) the checksum. Any problem -> nlp::Error naming `path` and what is wrong
  // ("not a libnlp shard", "truncated: expected N bytes but the file has M", "checksum mismatch",
  // ...). A version mismatch throws too; open_or_build_shard treats it as stale instead.
  static TokenShard open(const std::string& path, bool verify_checksum = true);

  TokenShard() = default;
  TokenShard(TokenShard&& o) noexcept;
  TokenShard& operator=(TokenShard&& o) noexcept;
  TokenShard(const TokenShard&) = delete;
  TokenShard& operator=(const TokenShard&) = delete;
  ~TokenShard();

  const std::string& path() const { return path_; }
  const ShardStamp& stamp() const { return stamp_; }
  uint64_t num_tokens() const { return num_tokens_; }
  uint64_t num_sentences() const { return num_sentences_; }
  uint64_t num_documents() const { return num_documents_; }

  const int32_t* tokens() const { return tokens_; }
  int32_t token(uint64_t i) const { return tokens_[i]; }
  TokenRange sentence(uint64_t s) const { return {sentence_offsets_[s], sentence_offsets_[s + 1]}; }
  // Sentence indices [first, end) of document d.
  uint64_t document_first_sentence(uint64_t d) const { return document_offsets_[d]; }
  uint64_t document_end_sentence(uint64_t d) const { return document_offsets_[d + 1]; }
  // Token offset of the first token of sentence s (s may equal num_sentences()).
  uint64_t sentence_offset(uint64_t s) const { return sentence_offsets_[s]; }
  // True when token offset t is the first token of a sentence (binary search).
  bool is_sentence_start(uint64_t t) const;

 private:
  std::string path_;
  ShardStamp stamp_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t num_tokens_ = 0, num_sentences_ = 0, num_documents_ = 0;
  const int32_t* tokens_ = nullptr;
  const uint64_t* sentence_offsets_ = nullptr;
  const uint64_t* document_offsets_ = nullptr;
};

// Reads only the header of a shard file. Returns false when the file is missing, is not a
// shard, or has another format version (then `stamp` is untouched).
bool read_shard_stamp(const std::string& path, ShardStamp& stamp);

// Cache file name for a source: <cache_dir>/<file name>.<16 hex digits of hash(absolute path)>.shard
std::string shard_cache_path(const std::string& source_path, const std::string& cache_dir);

// Opens the cached shard for `source_path`, (re)building it first when it is missing or stale
// (other format version, tokenizer fingerprint, vocab size, options, or source size/mtime).
// A file at the cache path that is not a shard at all, or a current shard that fails
// validation (corruption), is never overwritten: nlp::Error naming the file. `rebuilt`, when
// given, reports whether the shard was (re)built.
TokenShard open_or_build_shard(const std::string& source_path, const std::string& cache_dir, const TokenizeFn& tokenize,
                               uint64_t tokenizer_fingerprint, uint64_t vocab_size,
                               const CorpusReadOptions& options = {}, bool* rebuilt = nullptr);

// Several shards seen as one list of documents (global document ids follow shard order).
class Corpus {
 public:
  Corpus() = default;
  explicit Corpus(std::vector<TokenShard> shards);

  size_t num_shards() const { return shards_.size(); }
  const TokenShard& shard(size_t i) const { return shards_[i]; }
  uint64_t num_documents() const { return doc_prefix_.empty() ? 0 : doc_prefix_.back(); }
  uint64_t num_tokens() const;

  // A document: its shard and sentence indices [first_sentence, end_sentence) in that shard.
  struct Document {
    uint32_t shard = 0;
    uint64_t first_sentence = 0;
    uint64_t end_sentence = 0;
    uint64_t num_sentences() const { return end_sentence - first_sentence; }
  };
  Document document(uint64_t global_doc) const;
  // Token range of the i-th sentence of a document.
  TokenRange sentence(const Document& d, uint64_t i) const {
    return shards_[d.shard].sentence(d.first_sentence + i);
  }

 private:
  std::vector<TokenShard> shards_;
  std::vector<uint64_t> doc_prefix_;  // doc_prefix_[k] = documents in shards [0, k)
};

// Train/validation split by whole documents: a seeded shuffle of 0..num_documents-1, the first
// round(num_documents * validation_fraction) go to validation (at least 1 when the fraction is
// > 0 and there are >= 2 documents; never all of them). Both lists come back sorted ascending.
struct DocumentSplit {
  std::vector<uint64_t> train;
  std::vector<uint64_t> validation;
};
DocumentSplit split_documents(uint64_t num_documents, double validation_fraction, uint64_t seed);

}  // namespace nlp::pretrain
