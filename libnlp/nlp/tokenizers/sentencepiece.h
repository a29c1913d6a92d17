// SentencePiece models (ALBERT's spiece.model) through the sentencepiece library, with
// transformers 4.31 AlbertTokenizer semantics:
//   * tokenize() first lower-cases every character when do_lower_case (PreTrainedTokenizer);
//   * preprocess_text: remove_space (" ".join(text.strip().split())), `` and '' -> ",
//     unless keep_accents NFKD and drop combining characters, do_lower_case (str.lower());
//   * sentencepiece encoding (the model's own normaliser, e.g. nmt_nfkc, runs inside);
//   * the digit/comma rule: a piece like "▁9," whose last character is "," after a digit is
//     re-encoded without the comma, the comma becoming its own piece.
// The sentencepiece library is opened at run time from the module libnlp_spm.so ($LIBNLP_SPM_MODULE,
// else the build tree, else the install prefix) in its own symbol scope, because its bundled
// protobuf clashes with LibTorch's (see libnlp/spm_shim/spm_shim.cpp).
// Ids are the sentencepiece ids (unknown pieces get the model's unk id). Offsets map back through
// all of the above to bytes of the original text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nlp/tokenizers/subword.h"

namespace nlp::tok {

struct SentencePieceOptions {
  bool do_lower_case = true;
  bool remove_space = true;
  bool keep_accents = false;
  bool albert_digit_comma_split = true;
  // Special tokens: convert_tokens_to_string decodes the pieces between them with
  // sentencepiece and inserts them verbatim (AlbertTokenizer.convert_tokens_to_string).
  std::vector<std::string> special_tokens;
};

class SentencePieceTokenizer : public SubwordTokenizer {
 public:
  // Loads a serialized sentencepiece model. Throws nlp::Error naming the file.
  SentencePieceTokenizer(const std::string& model_file, SentencePieceOptions opts);
  ~SentencePieceTokenizer() override;

  std::vector<Piece> tokenize(std::string_view text) const override;
  std::string tokens_to_string(const std::vector<std::string>& tokens) const override;
  int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  int64_t vocab_size() const override;

  // The preprocessed text (preprocess_text) and the original byte span of each of its bytes.
  std::string preprocess(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>>* spans) const;

 private:
  struct Sp;  // the sentencepiece model behind the run-time loaded module (libnlp_spm.so)
  SentencePieceOptions opts_;
  std::unique_ptr<Sp> sp_;
  std::string unk_piece_;
};

}  // namespace nlp::tok
