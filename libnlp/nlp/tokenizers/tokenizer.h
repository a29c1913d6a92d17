// The generic tokenizer layer: what transformers 4.31's PreTrainedTokenizer adds on top of a
// model-specific SubwordTokenizer (subword.h), shared by every family.
//
//   * special and added tokens: the text is first split on them (leftmost-longest match), with
//     their lstrip/rstrip whitespace rules (plain-string special tokens strip both sides, as
//     transformers does by default);
//   * each family's template of special tokens (build_inputs_with_special_tokens) and
//     token_type_ids (create_token_type_ids_from_sequences):
//       BERT / ALBERT   [CLS] A [SEP]        [CLS] A [SEP] B [SEP]       types 0..0 1..1
//       RoBERTa         <s> A </s>           <s> A </s></s> B </s>       types all 0
//       GPT-2           A                    A B                         types 0..0 1..1
//       GPT-1           A                    A B                         types 0..0 1..1
//       GPT-1 task form (Radford et al. 2018, sec. 3.3; opt-in with set_gpt1_task_tokens):
//                       _start_ A _classify_ _start_ A _delimiter_ B _classify_
//   * truncation (longest_first / only_first / only_second / do_not_truncate) with the slow
//     tokenizer's exact rules, overflowing windows with stride (the fast tokenizer's
//     return_overflowing_tokens, used for long SQuAD contexts), padding (longest / max_length,
//     right or left), attention_mask, special_tokens_mask;
//   * offsets of every token into the ORIGINAL text of its sequence, in bytes and in characters
//     (code points, = Python string indices, = Hugging Face offset_mapping); (0, 0) for special
//     and padding tokens; word ids and sequence ids as the fast tokenizers' word_ids() /
//     sequence_ids();
//   * decode(ids, skip_special_tokens, clean_up_tokenization_spaces).
//
// Thread safety: a Tokenizer is immutable after construction/loading; encode/decode may be
// called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlp/tokenizers/subword.h"

namespace nlp::tok {

enum class Family { Bert, Albert, Roberta, Gpt2, Gpt1 };
enum class Truncation { DoNotTruncate, LongestFirst, OnlyFirst, OnlySecond };
enum class Padding { DoNotPad, Longest, MaxLength };

// "longest_first", "only_first", "only_second", "do_not_truncate" (also "true" = longest_first,
// "false" = do_not_truncate). Throws nlp::Error naming `where` otherwise.
Truncation parse_truncation(const std::string& s, const std::string& where = "truncation");
const char* to_string(Truncation t);
Family parse_family(const std::string& s, const std::string& where = "family");
const char* to_string(Family f);

// A token matched in the raw text before the subword model runs (transformers AddedToken).
struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;  // skipped by decode(skip_special_tokens=true)
  bool lstrip = false;   // swallow whitespace on its left
  bool rstrip = false;   // swallow whitespace on its right
};

struct SpecialTokens {  // empty string = not set
  std::string unk_token, sep_token, pad_token, cls_token, mask_token, bos_token, eos_token;
  std::vector<std::string> additional_special_tokens;
};

struct TokenizerConfig {
  std::string tokenizer_class;  // e.g. "BertTokenizer" (informational)
  Family family = Family::Bert;
  SpecialTokens special;
  // Added tokens, special ones included (ids must be set). Special tokens from `special` that
  // are missing here are added automatically with the family's default strip rules.
  std::vector<AddedToken> added_tokens;
  bool do_lower_case = false;  // match non-special added tokens case-insensitively
  bool clean_up_tokenization_spaces = true;
  int64_t model_max_length = -1;  // -1: unlimited
  bool padding_left = false;       // padding_side == "left"
  int64_t pad_token_type_id = 0;
  // Byte-level BPE add_prefix_space (prepare_for_tokenization): one space in front of the whole
  // text, before it is split on added tokens. only_if_missing: RobertaTokenizer's rule (only for
  // a non-empty text not starting with whitespace); otherwise GPT2Tokenizer's (always).
  bool add_prefix_space = false;
  bool prefix_space_only_if_missing = false;
};

struct EncodeOptions {
  bool add_special_tokens = true;
  int64_t max_length = -1;  // -1: model_max_length when truncating/padding to max_length
  Truncation truncation = Truncation::DoNotTruncate;
  int64_t stride = 0;  // tokens shared by consecutive overflowing windows
  // Also produce the windows that truncation cut off (Encoding::overflowing), each a complete
  // encoding with the same first sequence (only_second) / template. Not supported for pairs
  // with longest_first (throws nlp::Error).
  bool return_overflowing_tokens = false;
  Padding padding = Padding::DoNotPad;
  int64_t pad_to_multiple_of = 0;
};

// One encoded sequence (or pair). All vectors have length seq_len.
struct Encoding {
  std::vector<std::string> tokens;
  std::vector<int64_t> input_ids;
  std::vector<int64_t> token_type_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> special_tokens_mask;  // 1 for template special tokens and padding
  // [begin, end) into the original text of the token's sequence; (0, 0) for special/padding.
  std::vector<std::pair<int64_t, int64_t>> offsets;       // bytes
  std::vector<std::pair<int64_t, int64_t>> char_offsets;  // code points (Python indices)
  std::vector<int64_t> word_ids;      // -1 for special/padding tokens
  std::vector<int64_t> sequence_ids;  // 0 / 1, -1 for special/padding tokens
  std::vector<Encoding> overflowing;  // further windows (return_overflowing_tokens)
  size_t size() const { return input_ids.size(); }
};

struct BatchEncoding {
  std::vector<Encoding> encodings;  // overflowing windows flattened, in order
  std::vector<int64_t> overflow_to_sample_mapping;  // encodings[i] comes from input [i]
};

class Tokenizer {
 public:
  Tokenizer(std::shared_ptr<const SubwordTokenizer> model, TokenizerConfig config);

  // Loads a Hugging Face tokenizer folder (see load.cpp for the files and the dispatch).
  static Tokenizer from_pretrained(const std::string& dir);

  // transformers `tokenize(text)` + ids: added/special tokens split off and kept whole, the rest
  // through the subword model. Offsets are bytes into `text`.
  std::vector<Piece> tokenize(std::string_view text) const;

  Encoding encode(std::string_view text, const EncodeOptions& opts = {}) const;
  Encoding encode(std::string_view text, std::string_view text_pair, const EncodeOptions& opts = {}) const;
  // Batch encoding over `num_threads` threads (0 = one). Padding::Longest pads to the longest
  // encoding of the batch (after flattening overflowing windows). pairs: empty or same size.
  BatchEncoding encode_batch(const std::vector<std::string>& texts, const std::vector<std::string>& pairs,
                             const EncodeOptions& opts = {}, int num_threads = 0) const;

  // transformers `decode`. clean_up_tokenization_spaces unset = the tokenizer's default.
  // Ids out of range throw nlp::Error.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false,
                     std::optional<bool> clean_up_tokenization_spaces = std::nullopt) const;
  std::string convert_tokens_to_string(const std::vector<std::string>& tokens) const;

  // Pieces -> ids via the template: `build_inputs_with_special_tokens`.
  std::vector<int64_t> build_inputs_with_special_tokens(const std::vector<int64_t>& a,
                                                        const std::vector<int64_t>* b = nullptr) const;
  int64_t num_special_tokens_to_add(bool pair) const;

  // Vocabulary (model vocabulary + added tokens). token_to_id: -1 when unknown.
  int64_t token_to_id(std::string_view token) const;
  std::string id_to_token(int64_t id) const;  // throws nlp::Error when out of range
  int64_t vocab_size() const;                  // len(tokenizer)
  bool is_special_id(int64_t id) const;

  // Ids of the special tokens (-1 when the family has none).
  int64_t unk_token_id() const { return unk_id_; }
  int64_t pad_token_id() const { return pad_id_; }
  int64_t cls_token_id() const { return cls_id_; }
  int64_t sep_token_id() const { return sep_id_; }
  int64_t mask_token_id() const { return mask_id_; }
  int64_t bos_token_id() const { return bos_id_; }
  int64_t eos_token_id() const { return eos_id_; }

  // GPT-1 task input transformation: adds the three tokens (as special added tokens when they are
  // not in the vocabulary) and switches the template to start A [delimiter B] classify.
  void set_gpt1_task_tokens(const std::string& start = "_start_", const std::string& delimiter = "_delimiter_",
                            const std::string& classify = "_classify_");

  const TokenizerConfig& config() const { return cfg_; }
  const SubwordTokenizer& model() const { return *model_; }

  // Pads `enc` in place to `length` (no-op when already as long).
  void pad(Encoding& enc, int64_t length) const;

 private:
  struct Seq {  // one tokenised sequence
    std::vector<Piece> pieces;
    std::vector<int64_t> char_begin, char_end;
  };
  Seq tokenize_seq(std::string_view text) const;
  Encoding assemble(const Seq* a, size_t a0, size_t a1, const Seq* b, size_t b0, size_t b1, bool specials) const;
  Encoding encode_impl(std::string_view text, const std::string_view* pair, const EncodeOptions& opts) const;
  void add_token(const AddedToken& t);
  int64_t special_id(const std::string& tok) const;

  std::shared_ptr<const SubwordTokenizer> model_;
  TokenizerConfig cfg_;
  std::vector<AddedToken> added_;        // sorted by content length, longest first
  std::vector<std::string> added_by_id_;  // id - model size -> content, for ids beyond the model
  std::vector<int64_t> special_ids_;      // sorted
  bool gpt1_task_ = false;
  int64_t unk_id_ = -1, pad_id_ = -1, cls_id_ = -1, sep_id_ = -1, mask_id_ = -1, bos_id_ = -1, eos_id_ = -1;
  int64_t start_id_ = -1, delim_id_ = -1, classify_id_ = -1;
};

// transformers `clean_up_tokenization`: " ." -> ".", " ?" -> "?", " !" -> "!", " ," -> ",",
// " ' " -> "'", " n't" -> "n't", " 'm" -> "'m", " 's" -> "'s", " 've" -> "'ve", " 're" -> "'re".
std::string clean_up_tokenization(std::string s);

}  // namespace nlp::tok
