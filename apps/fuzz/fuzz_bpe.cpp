// libFuzzer target for the BPE tokenizers (GPT-2 byte-level, RoBERTa-style add_prefix_space,
// GPT-1). Input: one selector byte, then arbitrary bytes as text. Checks the invariants every
// input must keep: no crash, ids in the vocabulary, offsets inside the text and non-decreasing,
// and for byte-level BPE on valid UTF-8 an exact round trip through tokens_to_string.
// Vocabularies come from ../shared/fixtures/tokenizers (LIBNLP_SHARED overrides).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nlp/tokenizers/bpe.h"
#include "nlp/tokenizers/bytelevel_bpe.h"
#include "nlp/util/fs.h"

namespace {
std::string fx(const std::string& name, const std::string& file) {
  return nlp::path_join(nlp::shared_dir(), "fixtures/tokenizers/" + name + "/" + file);
}
struct Tokenizers {
  nlp::tok::ByteLevelBpeTokenizer gpt2{fx("gpt2", "vocab.json"), fx("gpt2", "merges.txt")};
  nlp::tok::ByteLevelBpeTokenizer roberta{fx("roberta-base", "vocab.json"), fx("roberta-base", "merges.txt"),
                                          {true, "<unk>"}};
  nlp::tok::BpeTokenizer gpt1{fx("openai-gpt", "vocab.json"), fx("openai-gpt", "merges.txt")};
};
const Tokenizers& tokenizers() {
  static Tokenizers t;
  return t;
}
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Tokenizers& t = tokenizers();
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  int which = data[0] % 3;
  const nlp::tok::SubwordTokenizer& tok =
      which == 0 ? static_cast<const nlp::tok::SubwordTokenizer&>(t.gpt2)
                 : which == 1 ? static_cast<const nlp::tok::SubwordTokenizer&>(t.roberta) : t.gpt1;
  auto pieces = tok.tokenize(text);
  std::vector<std::string> tokens;
  int64_t prev = 0;
  for (const auto& p : pieces) {
    check(p.id >= 0 && p.id < 60000);
    check(p.begin >= 0 && p.begin <= p.end && p.end <= static_cast<int64_t>(text.size()));
    check(p.begin >= prev - 3);
    prev = p.begin;
    tokens.push_back(p.token);
  }
  std::string back = tok.tokens_to_string(tokens);
  if (which == 0 && nlp::tok::bpe_detail::utf8_is_valid(text)) check(back == text);
  if (which == 1 && nlp::tok::bpe_detail::utf8_is_valid(text)) check(back == " " + text);
  return 0;
}
