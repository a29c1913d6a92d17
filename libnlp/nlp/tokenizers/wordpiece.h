// WordPiece (BERT, ELECTRA, SpanBERT, DistilBERT): BasicTokenizer pre-tokenisation (basic.h)
// followed by greedy longest-match-first subwords with the "##" continuation prefix, as
// transformers 4.31 BertTokenizer / WordpieceTokenizer. A word longer than
// max_input_chars_per_word characters, or one that cannot be covered by vocabulary pieces,
// becomes a single unk_token. Offsets are bytes of the original text (also through
// lower-casing, accent stripping and NFC).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nlp/tokenizers/basic.h"
#include "nlp/tokenizers/subword.h"
#include "nlp/tokenizers/vocab.h"

namespace nlp::tok {

struct WordPieceOptions {
  BasicTokenizerOptions basic;       // BertTokenizer: do_lower_case also sets lowercase_charwise_first
  bool do_basic_tokenize = true;     // false: split on whitespace only
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  int max_input_chars_per_word = 100;
};

class WordPiece : public SubwordTokenizer {
 public:
  // `vocab[i]` is the token of id i (vocab.txt line order).
  WordPiece(std::vector<std::string> vocab, WordPieceOptions opts);
  // Reads vocab.txt (one token per line; "\n", "\r\n" or "\r" line ends, as Python reads it).
  // Throws nlp::Error naming the file when it cannot be read, is empty, or lacks unk_token.
  static std::unique_ptr<WordPiece> from_file(const std::string& vocab_txt, WordPieceOptions opts);

  std::vector<Piece> tokenize(std::string_view text) const override;
  std::string tokens_to_string(const std::vector<std::string>& tokens) const override;
  int32_t token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::string id_to_token(int32_t id) const override;
  int64_t vocab_size() const override { return int64_t(vocab_.size()); }

  const WordPieceOptions& options() const { return opts_; }

 private:
  WordPieceOptions opts_;
  BasicTokenizer basic_;
  VocabMap vocab_;         // token -> id
  VocabMap continuation_;  // token without the prefix -> id, for tokens with the prefix
  std::vector<std::string> id_to_token_;
  int32_t unk_id_ = -1;
  size_t max_token_bytes_ = 0;
};

}  // namespace nlp::tok
