#include "nlp/pretrain/corpus.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "nlp/pretrain/rng.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"

namespace nlp::pretrain {

namespace {

constexpr char kMagic[8] = {'N', 'L', 'P', 'S', 'H', 'A', 'R', 'D'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kHeaderSize = 128;
constexpr uint64_t kFnvPrime = 0x100000001B3ull;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint64_t tokenizer_fingerprint;
  uint64_t source_size;
  int64_t source_mtime_ns;
  uint64_t options_hash;
  uint64_t vocab_size;
  uint64_t num_tokens;
  uint64_t num_sentences;
  uint64_t num_documents;
  uint64_t checksum;
};
static_assert(sizeof(Header) <= kHeaderSize, "header too large");

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; });
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Incremental FNV-1a over u64 words.
struct WordHasher {
  uint64_t h = 0xCBF29CE484222325ull;
  void add(const void* data, size_t bytes) {  // bytes % 8 == 0
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      h = (h ^ w) * kFnvPrime;
    }
  }
};

size_t padded_token_bytes(uint64_t num_tokens) { return static_cast<size_t>((num_tokens * 4 + 7) / 8 * 8); }

ShardStamp stamp_of(const Header& h) {
  ShardStamp s;
  s.tokenizer_fingerprint = h.tokenizer_fingerprint;
  s.source_size = h.source_size;
  s.source_mtime_ns = h.source_mtime_ns;
  s.options_hash = h.options_hash;
  s.vocab_size = h.vocab_size;
  return s;
}

}  // namespace

bool ShardStamp::operator==(const ShardStamp& o) const {
  return tokenizer_fingerprint == o.tokenizer_fingerprint && source_size == o.source_size &&
         source_mtime_ns == o.source_mtime_ns && options_hash == o.options_hash && vocab_size == o.vocab_size;
}

uint64_t fnv1a64(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
  return h;
}

// ---------------------------------------------------------------- readers

CorpusFormat detect_format(const std::string& path, CorpusFormat requested) {
  if (requested != CorpusFormat::Auto) return requested;
  if (ends_with(path, ".jsonl") || ends_with(path, ".json")) return CorpusFormat::Jsonl;
  if (ends_with(path, ".tsv")) return CorpusFormat::Tsv;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::string line;
  while (std::getline(in, line)) {
    if (is_blank(line)) continue;
    return line.rfind("<doc ", 0) == 0 ? CorpusFormat::WikiExtractor : CorpusFormat::Text;
  }
  return CorpusFormat::Text;
}

void for_each_sentence(const std::string& path, const CorpusReadOptions& options,
                       const std::function<void(std::string_view, uint64_t)>& on_sentence,
                       const std::function<void()>& on_document_end) {
  const CorpusFormat format = detect_format(path, options.format);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  size_t in_doc = 0;  // sentences emitted in the current document
  auto end_doc = [&] {
    if (in_doc > 0) on_document_end();
    in_doc = 0;
  };
  auto emit = [&](std::string_view s, uint64_t line) {
    on_sentence(s, line);
    ++in_doc;
    if (options.max_sentences_per_document > 0 && in_doc >= options.max_sentences_per_document) end_doc();
  };
  std::string line;
  uint64_t line_no = 0;
  size_t tsv_index = 0;  // column index of options.tsv_column
  auto tsv_field = [](const std::string& row, size_t index, std::string_view& out) {
    size_t start = 0;
    for (size_t k = 0; k < index; ++k) {
      size_t tab = row.find('\t', start);
      if (tab == std::string::npos) return false;
      start = tab + 1;
    }
    size_t tab = row.find('\t', start);
    out = std::string_view(row).substr(start, tab == std::string::npos ? std::string::npos : tab - start);
    return true;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    switch (format) {
      case CorpusFormat::Tsv: {
        if (line_no == 1) {  // header
          bool found = false;
          for (size_t k = 0;; ++k) {
            std::string_view name;
            if (!tsv_field(line, k, name)) break;
            if (name == options.tsv_column) {
              tsv_index = k;
              found = true;
              break;
            }
          }
          if (!found) fail(path + ":1", "header has no column '" + options.tsv_column + "' (expected a tab-separated header row)");
          break;
        }
        if (is_blank(line)) break;
        std::string_view field;
        if (!tsv_field(line, tsv_index, field))
          fail(path + ":" + std::to_string(line_no), "row has no column " + std::to_string(tsv_index + 1) + " ('" +
                                                         options.tsv_column + "')");
        if (!is_blank(field)) emit(field, line_no);
        end_doc();
        break;
      }
      case CorpusFormat::Text:
        if (is_blank(line)) end_doc();
        else emit(line, line_no);
        break;
      case CorpusFormat::WikiExtractor:
        if (line.rfind("<doc ", 0) == 0 || line.rfind("<doc>", 0) == 0 || line.rfind("</doc>", 0) == 0) end_doc();
        else if (!is_blank(line)) emit(line, line_no);
        break;
      case CorpusFormat::Jsonl: {
        if (is_blank(line)) break;
        json j;
        try {
          j = json::parse(line);
        } catch (const json::exception& e) {
          fail(path + ":" + std::to_string(line_no), std::string("invalid JSON: ") + e.what());
        }
        if (!j.is_object() || !j.contains(options.jsonl_field) || !j.at(options.jsonl_field).is_string())
          fail(path + ":" + std::to_string(line_no),
               "field '" + options.jsonl_field + "': expected a string (one JSON object per line)");
        const std::string& text = j.at(options.jsonl_field).get_ref<const std::string&>();
        size_t start = 0;
        while (start <= text.size()) {
          size_t nl = text.find('\n', start);
          if (nl == std::string::npos) nl = text.size();
          std::string_view s(text.data() + start, nl - start);
          if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
          if (!is_blank(s)) emit(s, line_no);
          start = nl + 1;
        }
        end_doc();
        break;
      }
      case CorpusFormat::Auto:
        break;
    }
  }
  if (in.bad()) fail(path, "read error");
  end_doc();
}

// ---------------------------------------------------------------- shard writing

ShardStamp current_stamp(const std::string& source_path, const CorpusReadOptions& options,
                         uint64_t tokenizer_fingerprint, uint64_t vocab_size) {
  struct stat st {};
  if (::stat(source_path.c_str(), &st) != 0) fail(source_path, "cannot stat corpus file (does it exist?)");
  ShardStamp s;
  s.tokenizer_fingerprint = tokenizer_fingerprint;
  s.source_size = static_cast<uint64_t>(st.st_size);
  s.source_mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  CorpusFormat f = detect_format(source_path, options.format);
  std::string desc = std::to_string(static_cast<int>(f)) + "|" + options.jsonl_field + "|" + options.tsv_column + "|" +
                     std::to_string(options.max_sentences_per_document);
  s.options_hash = fnv1a64(desc);
  s.vocab_size = vocab_size;
  return s;
}

void build_shard(const std::string& source_path, const std::string& shard_path, const TokenizeFn& tokenize,
                 uint64_t tokenizer_fingerprint, uint64_t vocab_size, const CorpusReadOptions& options) {
  if (vocab_size == 0 || vocab_size > static_cast<uint64_t>(INT32_MAX))
    fail(shard_path, "vocab_size must be in [1, 2^31), got " + std::to_string(vocab_size));
  const ShardStamp stamp = current_stamp(source_path, options, tokenizer_fingerprint, vocab_size);
  auto parent = std::filesystem::path(shard_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);

  write_atomic_with(shard_path, [&](const std::string& tmp) {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) fail(shard_path, "cannot open for writing");
    struct Closer {
      std::FILE* f;
      ~Closer() {
        if (f) std::fclose(f);
      }
    } closer{f};
    auto put = [&](const void* data, size_t bytes) {
      if (bytes && std::fwrite(data, 1, bytes, f) != bytes) fail(shard_path, "write error (disk full?)");
    };
    std::vector<char> zeros(kHeaderSize, 0);
    put(zeros.data(), kHeaderSize);  // placeholder header, rewritten at the end

    WordHasher hasher;
    std::vector<int32_t> buf;
    buf.reserve(1 << 16);
    uint64_t num_tokens = 0;
    // Tokens are hashed in 8-byte words: keep an even count in `buf` between flushes.
    auto flush = [&](bool final) {
      size_t n = final ? buf.size() : buf.size() / 2 * 2;
      if (n == 0) return;
      if (final && n % 2 == 1) {
        buf.push_back(0);  // padding to 8 bytes (not counted in num_tokens)
        ++n;
      }
      put(buf.data(), n * 4);
      hasher.add(buf.data(), n * 4);
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    };
    std::vector<uint64_t> sentence_offsets{0};
    std::vector<uint64_t> document_offsets{0};
    uint64_t doc_sentences = 0;
    for_each_sentence(
        source_path, options,
        [&](std::string_view text, uint64_t line) {
          std::vector<int32_t> ids = tokenize(text);
          if (ids.empty()) return;
          for (int32_t id : ids)
            if (id < 0 || static_cast<uint64_t>(id) >= vocab_size)
              fail(source_path + ":" + std::to_string(line),
                   "token id " + std::to_string(id) + " out of range [0, " + std::to_string(vocab_size) + ")");
          buf.insert(buf.end(), ids.begin(), ids.end());
          num_tokens += ids.size();
          sentence_offsets.push_back(num_tokens);
          ++doc_sentences;
          if (buf.size() >= (1u << 16)) flush(false);
        },
        [&] {
          if (doc_sentences == 0) return;  // every sentence tokenized to nothing
          document_offsets.push_back(sentence_offsets.size() - 1);
          doc_sentences = 0;
        });
    flush(true);
    put(sentence_offsets.data(), sentence_offsets.size() * 8);
    hasher.add(sentence_offsets.data(), sentence_offsets.size() * 8);
    put(document_offsets.data(), document_offsets.size() * 8);
    hasher.add(document_offsets.data(), document_offsets.size() * 8);

    Header h{};
    std::memcpy(h.magic, kMagic, 8);
    h.version = kVersion;
    h.header_size = kHeaderSize;
    h.tokenizer_fingerprint = stamp.tokenizer_fingerprint;
    h.source_size = stamp.source_size;
    h.source_mtime_ns = stamp.source_mtime_ns;
    h.options_hash = stamp.options_hash;
    h.vocab_size = stamp.vocab_size;
    h.num_tokens = num_tokens;
    h.num_sentences = sentence_offsets.size() - 1;
    h.num_documents = document_offsets.size() - 1;
    h.checksum = hasher.h;
    if (std::fseek(f, 0, SEEK_SET) != 0) fail(shard_path, "seek error");
    put(&h, sizeof(h));
    if (std::fflush(f) != 0) fail(shard_path, "write error (disk full?)");
    closer.f = nullptr;
    if (std::fclose(f) != 0) fail(shard_path, "write error (disk full?)");
  });
}

// ---------------------------------------------------------------- shard reading

bool read_shard_stamp(const std::string& path, ShardStamp& stamp) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  Header h{};
  in.read(reinterpret_cast<char*>(&h), sizeof(h));
  if (!in || std::memcmp(h.magic, kMagic, 8) != 0 || h.version != kVersion) return false;
  stamp = stamp_of(h);
  return true;
}

TokenShard TokenShard::open(const std::string& path, bool verify_checksum) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, "cannot open shard file");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail(path, "cannot stat shard file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < kHeaderSize) {
    ::close(fd);
    fail(path, "not a libnlp shard: file has " + std::to_string(size) + " bytes, smaller than the " +
                   std::to_string(kHeaderSize) + "-byte header");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(path, "cannot memory-map shard file");
  TokenShard s;
  s.path_ = path;
  s.map_ = map;
  s.map_size_ = size;  // from here on the destructor unmaps on failure

  Header h{};
  std::memcpy(&h, map, sizeof(h));
  if (std::memcmp(h.magic, kMagic, 8) != 0) fail(path, "not a libnlp shard (bad magic; expected \"NLPSHARD\")");
  if (h.version != kVersion)
    fail(path, "shard format version " + std::to_string(h.version) + ", expected " + std::to_string(kVersion) +
                   " (delete the file to rebuild it)");
  if (h.header_size != kHeaderSize) fail(path, "corrupted shard: header_size " + std::to_string(h.header_size));
  // Overflow-safe size check: each count must fit the file on its own first.
  if (h.num_tokens > size / 4 || h.num_sentences > size / 8 || h.num_documents > size / 8)
    fail(path, "corrupted shard: counts in the header exceed the file size (truncated file?)");
  const size_t tok_bytes = padded_token_bytes(h.num_tokens);
  const size_t expected = kHeaderSize + tok_bytes + (h.num_sentences + 1) * 8 + (h.num_documents + 1) * 8;
  if (expected != size)
    fail(path, "corrupted shard: expected " + std::to_string(expected) + " bytes from the header but the file has " +
                   std::to_string(size) + " (truncated or overwritten)");
  const auto* base = static_cast<const unsigned char*>(map);
  s.stamp_ = stamp_of(h);
  s.num_tokens_ = h.num_tokens;
  s.num_sentences_ = h.num_sentences;
  s.num_documents_ = h.num_documents;
  s.tokens_ = reinterpret_cast<const int32_t*>(base + kHeaderSize);
  s.sentence_offsets_ = reinterpret_cast<const uint64_t*>(base + kHeaderSize + tok_bytes);
  s.document_offsets_ = s.sentence_offsets_ + (h.num_sentences + 1);

  if (verify_checksum) {
    WordHasher hasher;
    hasher.add(base + kHeaderSize, size - kHeaderSize);
    if (hasher.h != h.checksum) fail(path, "corrupted shard: checksum mismatch (delete the file to rebuild it)");
  }
  // Structural invariants (cheap, always checked): offsets start at 0, are strictly increasing
  // (no empty sentence or document) and end at the totals.
  auto check_offsets = [&](const uint64_t* off, uint64_t n, uint64_t total, const char* what) {
    if (off[0] != 0 || off[n] != total) fail(path, std::string("corrupted shard: ") + what + " offsets do not span the data");
    for (uint64_t i = 0; i < n; ++i)
      if (off[i + 1] <= off[i])
        fail(path, std::string("corrupted shard: ") + what + " offsets not increasing at entry " + std::to_string(i));
  };
  check_offsets(s.sentence_offsets_, h.num_sentences, h.num_tokens, "sentence");
  check_offsets(s.document_offsets_, h.num_documents, h.num_sentences, "document");
  if (verify_checksum) {
    for (uint64_t i = 0; i < h.num_tokens; ++i)
      if (s.tokens_[i] < 0 || static_cast<uint64_t>(s.tokens_[i]) >= h.vocab_size)
        fail(path, "corrupted shard: token " + std::to_string(i) + " = " + std::to_string(s.tokens_[i]) +
                       " outside [0, vocab_size=" + std::to_string(h.vocab_size) + ")");
  }
  return s;
}

TokenShard::TokenShard(TokenShard&& o) noexcept { *this = std::move(o); }

TokenShard& TokenShard::operator=(TokenShard&& o) noexcept {
  if (this != &o) {
    if (map_) ::munmap(map_, map_size_);
    path_ = std::move(o.path_);
    stamp_ = o.stamp_;
    map_ = o.map_;
    map_size_ = o.map_size_;
    num_tokens_ = o.num_tokens_;
    num_sentences_ = o.num_sentences_;
    num_documents_ = o.num_documents_;
    tokens_ = o.tokens_;
    sentence_offsets_ = o.sentence_offsets_;
    document_offsets_ = o.document_offsets_;
    o.map_ = nullptr;
    o.map_size_ = 0;
    o.tokens_ = nullptr;
    o.sentence_offsets_ = o.document_offsets_ = nullptr;
    o.num_tokens_ = o.num_sentences_ = o.num_documents_ = 0;
  }
  return *this;
}

TokenShard::~TokenShard() {
  if (map_) ::munmap(map_, map_size_);
}

bool TokenShard::is_sentence_start(uint64_t t) const {
  const uint64_t* end = sentence_offsets_ + num_sentences_ + 1;
  return std::binary_search(sentence_offsets_, end, t);
}

std::string shard_cache_path(const std::string& source_path, const std::string& cache_dir) {
  std::string abs = std::filesystem::absolute(source_path).lexically_normal().string();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(fnv1a64(abs)));
  return path_join(cache_dir, std::filesystem::path(source_path).filename().string() + "." + hex + ".shard");
}

TokenShard open_or_build_shard(const std::string& source_path, const std::string& cache_dir, const TokenizeFn& tokenize,
                               uint64_t tokenizer_fingerprint, uint64_t vocab_size, const CorpusReadOptions& options,
                               bool* rebuilt) {
  const std::string path = shard_cache_path(source_path, cache_dir);
  const ShardStamp want = current_stamp(source_path, options, tokenizer_fingerprint, vocab_size);
  bool build = true;
  if (path_exists(path)) {
    std::ifstream in(path, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    if (!in || std::memcmp(magic, kMagic, 8) != 0)
      fail(path, "exists but is not a libnlp shard (bad magic); refusing to overwrite it");
    ShardStamp have;
    build = !read_shard_stamp(path, have) || have != want;  // other version or stale stamp
  }
  if (build) build_shard(source_path, path, tokenize, tokenizer_fingerprint, vocab_size, options);
  if (rebuilt) *rebuilt = build;
  return TokenShard::open(path);
}

// ---------------------------------------------------------------- corpus

Corpus::Corpus(std::vector<TokenShard> shards) : shards_(std::move(shards)) {
  doc_prefix_.assign(1, 0);
  for (const auto& s : shards_) doc_prefix_.push_back(doc_prefix_.back() + s.num_documents());
}

uint64_t Corpus::num_tokens() const {
  uint64_t n = 0;
  for (const auto& s : shards_) n += s.num_tokens();
  return n;
}

Corpus::Document Corpus::document(uint64_t global_doc) const {
  if (global_doc >= num_documents())
    fail("Corpus", "document " + std::to_string(global_doc) + " out of range (corpus has " +
                       std::to_string(num_documents()) + ")");
  size_t k = static_cast<size_t>(std::upper_bound(doc_prefix_.begin(), doc_prefix_.end(), global_doc) - doc_prefix_.begin()) - 1;
  uint64_t local = global_doc - doc_prefix_[k];
  const TokenShard& s = shards_[k];
  return {static_cast<uint32_t>(k), s.document_first_sentence(local), s.document_end_sentence(local)};
}

DocumentSplit split_documents(uint64_t num_documents, double validation_fraction, uint64_t seed) {
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
    fail("split_documents", "validation_fraction must be in [0, 1), got " + std::to_string(validation_fraction));
  std::vector<uint64_t> order(num_documents);
  std::iota(order.begin(), order.end(), uint64_t{0});
  Rng rng(mix_seed({seed, 0x5917ull}));
  rng.shuffle(order);
  uint64_t n_valid = static_cast<uint64_t>(std::nearbyint(static_cast<double>(num_documents) * validation_fraction));
  if (validation_fraction > 0.0 && num_documents >= 2) n_valid = std::max<uint64_t>(n_valid, 1);
  if (num_documents > 0) n_valid = std::min(n_valid, num_documents - 1);
  DocumentSplit out;
  out.validation.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_valid));
  out.train.assign(order.begin() + static_cast<std::ptrdiff_t>(n_valid), order.end());
  std::sort(out.validation.begin(), out.validation.end());
  std::sort(out.train.begin(), out.train.end());
  return out;
}

}  // namespace nlp::pretrain
