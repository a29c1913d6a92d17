// Test-only tokenizer and helpers for the pretraining pipeline tests.
//
// ChunkTokenizer: whitespace split, each word cut into pieces of at most 3 bytes; the first piece
// of a word gets an id in the "word start" block [10, 10 + H), continuation pieces ("##...") an id
// in [10 + H, 10 + 2H), by a hash of the piece. Ids 0..9 are reserved for special tokens. This
// gives WordPiece-like multi-piece words so whole-word masking has something to hold together.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "nlp/pretrain/corpus.h"
#include "nlp/pretrain/examples.h"

namespace nlp::test {

struct ChunkTokenizer {
  static constexpr int32_t kH = 8192;
  static constexpr int32_t kBase = 10;
  static constexpr int64_t kVocab = kBase + 2 * kH;

  static int32_t piece_id(std::string_view piece, bool start) {
    uint64_t h = nlp::pretrain::fnv1a64(piece);
    return kBase + (start ? 0 : kH) + static_cast<int32_t>(h % kH);
  }
  std::vector<int32_t> operator()(std::string_view text) const {
    std::vector<int32_t> ids;
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
      for (size_t k = i; k < j; k += 3) ids.push_back(piece_id(text.substr(k, std::min<size_t>(3, j - k)), k == i));
      i = j;
    }
    return ids;
  }
  static nlp::pretrain::SpecialTokens special() {
    nlp::pretrain::SpecialTokens s;
    s.pad = 0;
    s.cls = 2;
    s.sep = 3;
    s.mask = 4;
    s.vocab_size = kVocab;
    s.word_start.assign(static_cast<size_t>(kVocab), 0);
    for (int32_t id = 0; id < kBase + kH; ++id) s.word_start[static_cast<size_t>(id)] = 1;
    return s;
  }
};

// A fresh, empty temporary directory removed at scope exit.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& name) {
    path = (std::filesystem::temp_directory_path() / ("libnlp_test_" + name + "_" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace nlp::test
