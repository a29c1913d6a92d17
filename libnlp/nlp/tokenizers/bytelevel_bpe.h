// Byte-level BPE (GPT-2: Radford et al. 2019, section 2.2; RoBERTa: Liu et al. 2019, section
// 4.4), with the exact semantics of transformers 4.31 GPT2Tokenizer / RobertaTokenizer (slow):
//
//  1. optional add_prefix_space: a space is put in front of the text;
//  2. pre-tokenization with the GPT-2 pattern
//       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//     run through PCRE2 (JIT-compiled) with \s spelled out as the Unicode White_Space set that
//     Python's `regex` module uses (PCRE2's own \s would also match U+180E);
//  3. each pre-token's UTF-8 bytes are mapped to printable characters (bytes_to_unicode: the 188
//     printable Latin-1 bytes map to themselves, the others to U+0100 + n) and merged by rank.
//
// Pieces carry byte offsets into the text given to tokenize(): a piece covers exactly the bytes
// whose symbols it holds, so a piece holding part of a multi-byte character covers only those
// bytes. With add_prefix_space the synthetic space covers no bytes (the first piece starts at 0).
// Invalid UTF-8 is first replaced by U+FFFD per maximal ill-formed subpart (Python's
// bytes.decode(errors="replace")); pieces made from such a U+FFFD cover the original bad bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nlp/tokenizers/bpe.h"
#include "nlp/tokenizers/subword.h"

namespace nlp::tok {

struct ByteLevelBpeOptions {
  // GPT2Tokenizer/RobertaTokenizer add_prefix_space: put a space in front of the text.
  bool add_prefix_space = false;
  std::string unk_token = "<|endoftext|>";  // GPT-2's; RoBERTa uses "<unk>"
  // false: GPT2Tokenizer, the space is always added (even to ""); true: RobertaTokenizer, only
  // to a non-empty text that does not start with whitespace (Python str.isspace).
  bool prefix_space_only_if_missing = false;
};
// Note for callers that split special tokens off first: transformers applies add_prefix_space to
// the whole text *before* that split, so such callers should add the space themselves and
// construct this tokenizer with add_prefix_space = false.

class ByteLevelBpeTokenizer : public SubwordTokenizer {
 public:
  // From vocab.json + merges.txt. Throws nlp::Error naming the file (and line) on bad input.
  ByteLevelBpeTokenizer(const std::string& vocab_json_path, const std::string& merges_txt_path,
                        ByteLevelBpeOptions options = {});
  // From in-memory vocabulary and merges (symbols in the byte-to-unicode alphabet, e.g. "Ġt");
  // `source` names the origin in error messages.
  ByteLevelBpeTokenizer(BpeVocab vocab, const std::vector<BpeMerge>& merges, ByteLevelBpeOptions options = {},
                        std::string source = "<memory>");
  ~ByteLevelBpeTokenizer() override;

  // Thread-safe. Pieces not in the vocabulary (only possible with incomplete vocabularies) get
  // unk_token's id; throws nlp::Error if unk_token is not in the vocabulary either.
  std::vector<Piece> tokenize(std::string_view text) const override;
  // Maps each character back to its byte and decodes as UTF-8 with U+FFFD for invalid sequences
  // (Python bytes.decode("utf-8", errors="replace")). Characters outside the byte alphabet (e.g.
  // of added tokens) are kept as their own UTF-8.
  std::string tokens_to_string(const std::vector<std::string>& tokens) const override;
  int32_t token_to_id(std::string_view token) const override { return model_.token_to_id(token); }
  std::string id_to_token(int32_t id) const override { return model_.id_to_token(id); }
  int64_t vocab_size() const override { return model_.vocab_size(); }

  // The pre-tokenizer alone: byte spans [begin, end) of the GPT-2 pattern's matches over valid
  // UTF-8 `text` (no prefix space added).
  std::vector<std::pair<int64_t, int64_t>> pre_tokenize(std::string_view text) const;

  const ByteLevelBpeOptions& options() const { return options_; }
  int32_t unk_id() const { return unk_id_; }

  // bytes_to_unicode(): the character (code point) standing for byte b.
  static char32_t byte_to_unicode(uint8_t b);

 private:
  struct Impl;
  void init();
  BpeModel model_;
  ByteLevelBpeOptions options_;
  int32_t unk_id_ = -1;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nlp::tok
