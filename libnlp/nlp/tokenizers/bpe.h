// Byte-pair encoding (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with
// Subword Units", section 3.2) as Hugging Face's slow tokenizers apply it, and the GPT-1
// (`openai-gpt`) tokenizer built on it.
//
//   BpeModel      vocabulary + ranked merges, and the merge procedure shared by GPT-1 and the
//                 byte-level tokenizers (bytelevel_bpe.h).
//   BpeTokenizer  GPT-1: lower-casing, Hugging Face's fallback pre-tokenizer (BERT's
//                 BasicTokenizer(do_lower_case=True), used by transformers' OpenAIGPTTokenizer
//                 when ftfy/spaCy are not installed), BPE with the "</w>" end-of-word suffix.
//
// Merge semantics (transformers 4.31 `bpe()`): a word starts as its units (characters, or byte
// symbols); repeatedly the adjacent pair with the lowest merge rank is chosen and *all* of its
// occurrences are merged left to right before the next lowest pair is looked at; this stops when
// no adjacent pair has a rank. Implemented with a heap (O(n log n) per word, so 1 MB words are
// fine) that reproduces those phases exactly, plus a word cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nlp/tokenizers/subword.h"

namespace nlp::tok {

// token -> id, as in vocab.json.
using BpeVocab = std::unordered_map<std::string, int32_t>;
// One merge rule "a b"; its rank is its index in the list (lower merges first).
using BpeMerge = std::pair<std::string, std::string>;

// Reads vocab.json: a JSON object {token: id}. Throws nlp::Error naming the file (and the token)
// when the file is missing, is not valid JSON, is not an object, or an id is not an integer in
// [0, 2^31). A token listed twice keeps its last id (as json.load). Several tokens may share an
// id; id_to_token then answers the smallest of them (transformers: the last in file order).
BpeVocab read_bpe_vocab_json(const std::string& path);

// Reads merges.txt: one "a b" rule per line. A first line starting with "#version" is a header
// and skipped (transformers drops the first line; the Rust `tokenizers` skips "#version" lines);
// a trailing "\r", empty lines and the final newline are ignored. A line that does not hold
// exactly two symbols separated by spaces/tabs, or that is not UTF-8, throws nlp::Error
// "<path>:<line>: ...". A rule listed twice keeps its last rank (as Python's dict(zip(...))).
std::vector<BpeMerge> read_bpe_merges_txt(const std::string& path);

// Vocabulary + merge ranks over interned symbol strings.
class BpeModel {
 public:
  // `source` names where vocab/merges came from, for error messages. Throws nlp::Error when
  // a merge has an empty side or the vocabulary is empty.
  BpeModel(BpeVocab vocab, const std::vector<BpeMerge>& merges, std::string source);

  // One token of a merged word: `symbol` is the interned symbol id, or -1 for a unit that takes
  // part in no merge rule (its string is then the unit itself); [unit_begin, unit_end) are the
  // word units it covers.
  struct Span {
    int32_t symbol;
    int32_t unit_begin;
    int32_t unit_end;
  };

  // Merges a word given as one symbol id per unit (-1: a unit that appears in no rule).
  // Appends the resulting tokens, in order, to `out`.
  void merge(const int32_t* units, int32_t n, std::vector<Span>& out) const;

  int32_t symbol_id(std::string_view s) const;              // -1 when not interned
  int32_t intern(const std::string& s);                     // adds when missing (construction only)
  const std::string& symbol(int32_t sid) const { return symbols_[sid]; }
  int32_t symbol_vocab_id(int32_t sid) const { return symbol_vocab_[sid]; }  // -1: not in vocab

  int32_t token_to_id(std::string_view token) const;        // -1 when absent
  std::string id_to_token(int32_t id) const;                // throws nlp::Error when unknown
  int64_t vocab_size() const { return static_cast<int64_t>(vocab_.size()); }
  const BpeVocab& vocab() const { return vocab_; }
  int64_t num_merges() const { return static_cast<int64_t>(pairs_.size()); }
  const std::string& source() const { return source_; }

  // Re-derives symbol -> vocabulary id after symbols were interned.
  void finalize();

 private:
  struct Rule {
    int32_t rank;
    int32_t merged;
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  const Rule* find(int32_t a, int32_t b) const;

  BpeVocab vocab_;
  std::unordered_map<int32_t, std::string> id_to_token_;
  std::string source_;
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, int32_t> symbol_ids_;
  std::vector<int32_t> symbol_vocab_;
  std::unordered_map<uint64_t, Rule> pairs_;
};

// GPT-1 tokenizer options (transformers OpenAIGPTTokenizer defaults).
struct BpeTokenizerOptions {
  std::string unk_token = "<unk>";           // id for pieces not in the vocabulary
  std::string end_of_word_suffix = "</w>";   // appended to the last unit of every word
};

// GPT-1 (`openai-gpt`) BPE as transformers 4.31 OpenAIGPTTokenizer without ftfy/spaCy:
//  1. lower-case every character on its own (Python `str.lower()` per character, as
//     PreTrainedTokenizer.tokenize does for do_lower_case tokenizers: "İ" -> "i̇", no final sigma);
//  2. BasicTokenizer(do_lower_case=True): drop NUL, U+FFFD and control characters (category C*
//     except \t \n \r), map whitespace (Zs, \t \n \r) to spaces, put spaces around CJK
//     ideographs, split on whitespace, strip accents (NFD, drop Mn), split off every punctuation
//     character (ASCII !-/ :-@ [-` {-~ and Unicode P*);
//  3. BPE on each word's characters, the last one carrying "</w>".
// Pieces keep the BPE strings; pieces not in the vocabulary get unk_token's id (as
// `convert_tokens_to_ids`). Offsets: each piece covers the original bytes of the characters it
// came from (a character that NFD splits in several pieces gives each of them its full span).
// Invalid UTF-8 is first replaced by U+FFFD (Python's errors="replace"), which step 2 drops.
class BpeTokenizer : public SubwordTokenizer {
 public:
  // From vocab.json + merges.txt. Throws nlp::Error naming the file (and line) on bad input.
  BpeTokenizer(const std::string& vocab_json_path, const std::string& merges_txt_path,
               BpeTokenizerOptions options = {});
  // From in-memory vocabulary and merges (e.g. a tokenizer.json "model" section); `source`
  // names the origin in error messages.
  BpeTokenizer(BpeVocab vocab, const std::vector<BpeMerge>& merges, BpeTokenizerOptions options = {},
               std::string source = "<memory>");
  ~BpeTokenizer() override;

  std::vector<Piece> tokenize(std::string_view text) const override;
  // "".join(tokens).replace("</w>", " ").strip()  (Python whitespace strip).
  std::string tokens_to_string(const std::vector<std::string>& tokens) const override;
  int32_t token_to_id(std::string_view token) const override { return model_.token_to_id(token); }
  std::string id_to_token(int32_t id) const override { return model_.id_to_token(id); }
  int64_t vocab_size() const override { return model_.vocab_size(); }

  // Steps 1-2 without the splitting: the lower-cased, cleaned, accent-stripped text
  // (whitespace kept as spaces). For tests and offset checks.
  static std::string normalize(std::string_view text);
  const BpeTokenizerOptions& options() const { return options_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  struct Cache;
  void init();
  BpeModel model_;
  BpeTokenizerOptions options_;
  int32_t unk_id_ = -1;
  std::unique_ptr<Cache> cache_;
};

namespace bpe_detail {
// Python bytes.decode("utf-8", errors="replace"): every maximal ill-formed subpart becomes
// U+FFFD. When `begin_map`/`end_map` are given they receive, for each output byte position i
// (0..out.size()), the input offset a token starting (begin_map) or ending (end_map) at i covers.
std::string utf8_replace_invalid(std::string_view in, std::vector<int64_t>* begin_map = nullptr,
                                 std::vector<int64_t>* end_map = nullptr);
bool utf8_is_valid(std::string_view in);
// Decodes one code point of valid UTF-8 at s[i]; advances i.
char32_t utf8_next(std::string_view s, size_t& i);
void utf8_append(std::string& out, char32_t cp);
// Python str.isspace().
bool py_isspace(char32_t cp);
// Python str.strip() of whitespace at both ends.
std::string_view py_strip(std::string_view s);
}  // namespace bpe_detail

}  // namespace nlp::tok
