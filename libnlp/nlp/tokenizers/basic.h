// BERT's BasicTokenizer (transformers 4.31 models/bert/tokenization_bert.py), with byte offsets:
//   1. (optional) Python str.lower() of each character, as PreTrainedTokenizer.tokenize() does
//      before anything else when the tokenizer has do_lower_case;
//   2. clean text: drop NUL, U+FFFD and control characters (category C*, except \t \n \r), map
//      whitespace (\t \n \r, Zs) to a space;
//   3. surround CJK ideographs with spaces (tokenize_chinese_chars);
//   4. NFC, then split on whitespace (Python str.split());
//   5. per word not in never_split: lower-case (do_lower_case) and strip accents (NFD, drop Mn;
//      strip_accents, which defaults to do_lower_case), then split off every punctuation
//      character (ASCII punctuation ranges + Unicode P*).
// Every output character keeps the byte span of the original character(s) it came from.
// The GPT-1 tokenizer uses the same class as its fallback pre-tokenizer (do_lower_case=true).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "nlp/tokenizers/subword.h"
#include "nlp/tokenizers/unicode.h"

namespace nlp::tok {

struct BasicTokenizerOptions {
  bool do_lower_case = true;
  // Lower-case every character first (transformers' tokenize() with do_lower_case): true for
  // BertTokenizer, false for the GPT-1 fallback, which only lower-cases inside BasicTokenizer.
  bool lowercase_charwise_first = false;
  bool tokenize_chinese_chars = true;
  std::optional<bool> strip_accents;  // unset = follow do_lower_case
  bool do_split_on_punc = true;
  std::vector<std::string> never_split;
};

class BasicTokenizer {
 public:
  explicit BasicTokenizer(BasicTokenizerOptions opts = {});

  // Splits `text` into words. `chars` receives the normalised characters (spans are byte
  // offsets into `text`), `words` the [begin, end) ranges of each word in `chars`.
  void split(std::string_view text, UString& chars, std::vector<std::pair<uint32_t, uint32_t>>& words) const;

  // Convenience: the words as Pieces (token = normalised UTF-8 word, id = -1, word = index).
  std::vector<Piece> tokenize(std::string_view text) const;

  const BasicTokenizerOptions& options() const { return opts_; }

 private:
  BasicTokenizerOptions opts_;
  bool strip_;
  std::unordered_set<std::string> never_split_;
};

}  // namespace nlp::tok
