// The model-specific core of a tokenizer: normalisation, pre-tokenisation and the subword
// algorithm (WordPiece, BPE, byte-level BPE, SentencePiece). Special/added tokens, pair
// templates, truncation, padding and batching live in the generic layer (tokenizer.h), which
// calls into this interface, so every family shares them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nlp::tok {

// One subword token with its byte offsets [begin, end) into the text passed to tokenize().
// For a token produced from normalised text (lower-cased, accents stripped, ...) the offsets
// cover the original bytes the token came from, as Hugging Face's offset_mapping does.
struct Piece {
  std::string token;  // vocabulary string, e.g. "##ing", "Ġthe", "▁the", "the</w>"
  int32_t id = -1;
  int64_t begin = 0;
  int64_t end = 0;
  // Index of the pre-tokenised word the piece belongs to, counted from 0 within one
  // tokenize() call (Hugging Face fast tokenizers' word_ids). -1 = not known: the generic layer
  // then starts a new word wherever a gap separates a piece from the previous one.
  int32_t word = -1;
};

class SubwordTokenizer {
 public:
  virtual ~SubwordTokenizer() = default;

  // Hugging Face `tokenize(text)` + `convert_tokens_to_ids` for text that contains no
  // added/special tokens (the generic layer splits those off first). UTF-8 in; invalid UTF-8 is
  // handled deterministically (replacement), never undefined behaviour.
  virtual std::vector<Piece> tokenize(std::string_view text) const = 0;

  // Hugging Face `convert_tokens_to_string`: joins vocabulary strings back into text
  // (strip "##", map bytes back, replace "▁" / "</w>" ...), before clean-up of spaces.
  virtual std::string tokens_to_string(const std::vector<std::string>& tokens) const = 0;

  // Vocabulary access. token_to_id returns -1 when the token is not in the vocabulary.
  virtual int32_t token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(int32_t id) const = 0;  // throws nlp::Error when out of range
  virtual int64_t vocab_size() const = 0;
};

}  // namespace nlp::tok
