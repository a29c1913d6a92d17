// Hugging Face parity over every line of every tokenizer fixture set (../shared/fixtures/tokenizers):
// tokens, ids, input_ids, token_type_ids, decoded text (with and without special tokens), pairs
// with and without truncation; and for every non-special token, the original text at its offsets
// normalises to the token.
#include <utf8proc.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "nlp/tokenizers/tokenizer.h"
#include "nlp/tokenizers/unicode.h"
#include "nlp/util/json.h"
#include "support/shared.h"

using namespace nlp::tok;

namespace {

std::vector<nlp::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<nlp::json> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlp::json::parse(line));
  return out;
}

template <class T>
std::string show(const std::vector<T>& v) {
  return nlp::json(v).dump();
}

std::string umap(const std::string& s, int options) {
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), utf8proc_ssize_t(s.size()),
                                    &out, utf8proc_option_t(options));
  std::string r = n >= 0 ? std::string(reinterpret_cast<char*>(out), size_t(n)) : s;
  free(out);
  return r;
}

// GPT-2 bytes_to_unicode inverse: the byte each vocabulary character stands for.
std::map<char32_t, unsigned char> byte_decoder() {
  std::map<char32_t, unsigned char> m;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    m[printable ? char32_t(b) : char32_t(256 + n++)] = (unsigned char)b;
  }
  return m;
}

std::string strip_ws(const std::string& s) {
  std::string o;
  UString u;
  decode_utf8(s, u);
  for (const auto& c : u)
    if (!python_isspace(c.cp)) append_utf8(o, c.cp);
  return o;
}

// Normal form used to compare a token with the original text at its offsets.
std::string normalise(const std::string& name, const std::string& s, bool is_token) {
  std::string t = s;
  if (name == "gpt2" || name == "roberta-base") {
    if (is_token) {
      static const auto dec = byte_decoder();
      UString u;
      decode_utf8(s, u);
      t.clear();
      for (const auto& c : u) {
        auto it = dec.find(c.cp);
        t.push_back(it == dec.end() ? '?' : char(it->second));
      }
    }
    return strip_ws(t);
  }
  if (name == "albert-base-v2") {
    if (is_token) {
      size_t p;
      while ((p = t.find("\xE2\x96\x81")) != std::string::npos) t.replace(p, 3, " ");
    } else {
      size_t p;
      while ((p = t.find("``")) != std::string::npos) t.replace(p, 2, "\"");
      while ((p = t.find("''")) != std::string::npos) t.replace(p, 2, "\"");
      // sentencepiece's nmt_nfkc normaliser drops control characters and U+FFFD
      UString u;
      decode_utf8(t, u);
      t.clear();
      for (const auto& c : u)
        if (c.cp != kReplacementChar && !bert_is_control(c.cp)) append_utf8(t, c.cp);
    }
    return strip_ws(umap(t, UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
                                UTF8PROC_STRIPMARK | UTF8PROC_IGNORE));
  }
  // WordPiece / GPT-1 (BERT BasicTokenizer): drop what clean_text drops, then compare in a
  // case- and accent-insensitive (uncased) or NFC (cased) form.
  if (is_token) {
    if (t.rfind("##", 0) == 0) t = t.substr(2);
    if (t.size() >= 4 && t.compare(t.size() - 4, 4, "</w>") == 0) t.resize(t.size() - 4);
  }
  UString u;
  decode_utf8(t, u);
  std::string kept;
  for (const auto& c : u)
    if (c.cp != 0 && c.cp != kReplacementChar && !bert_is_control(c.cp) && !python_isspace(c.cp)) append_utf8(kept, c.cp);
  const bool uncased = name == "bert-base-uncased" || name == "openai-gpt";
  if (uncased) return umap(kept, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
  return umap(kept, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
}

struct Counts {
  int encode_ok = 0, encode_total = 0, pairs_ok = 0, pairs_total = 0, offsets_checked = 0;
};

void run_set(const std::string& name) {
  const std::string dir = nlp::test::shared_path("fixtures/tokenizers/" + name);
  Tokenizer tok = Tokenizer::from_pretrained(dir);
  const auto lines = read_jsonl(dir + "/encode.jsonl");
  const auto pairs = read_jsonl(dir + "/pairs.jsonl");
  Counts c;
  std::vector<std::string> failures;
  for (const auto& j : lines) {
    ++c.encode_total;
    const std::string text = j.at("text").get<std::string>();
    const std::string where = name + " encode.jsonl i=" + std::to_string(j.at("i").get<int>()) + " " + nlp::json(text).dump();
    auto pieces = tok.tokenize(text);
    std::vector<std::string> tokens;
    std::vector<int64_t> ids;
    for (const auto& p : pieces) {
      tokens.push_back(p.token);
      ids.push_back(p.id);
    }
    Encoding e = tok.encode(text);
    bool ok = true;
    auto check = [&](bool cond, const std::string& what) {
      if (!cond) {
        ok = false;
        if (failures.size() < 20) failures.push_back(where + ": " + what);
      }
    };
    check(tokens == j.at("tokens").get<std::vector<std::string>>(),
          "tokens " + nlp::json(tokens).dump(-1, ' ', false, nlp::json::error_handler_t::replace) + " != " + j.at("tokens").dump());
    check(ids == j.at("ids").get<std::vector<int64_t>>(), "ids " + show(ids) + " != " + j.at("ids").dump());
    check(e.input_ids == j.at("input_ids").get<std::vector<int64_t>>(),
          "input_ids " + show(e.input_ids) + " != " + j.at("input_ids").dump());
    if (j.contains("token_type_ids"))
      check(e.token_type_ids == j.at("token_type_ids").get<std::vector<int64_t>>(),
            "token_type_ids " + show(e.token_type_ids) + " != " + j.at("token_type_ids").dump());
    std::string dec = tok.decode(e.input_ids);
    check(dec == j.at("decoded").get<std::string>(), "decoded " + nlp::json(dec).dump() + " != " + j.at("decoded").dump());
    std::string dec_skip = tok.decode(e.input_ids, true);
    check(dec_skip == j.at("decoded_skip_special").get<std::string>(),
          "decoded_skip_special " + nlp::json(dec_skip).dump() + " != " + j.at("decoded_skip_special").dump());
    // offsets
    std::vector<uint32_t> starts;
    {
      UString u;
      decode_utf8(text, u);
      for (const auto& ch : u) starts.push_back(ch.begin);
    }
    for (size_t k = 0; k < e.size(); ++k) {
      if (e.special_tokens_mask[k]) continue;
      auto [b, en] = e.offsets[k];
      check(b >= 0 && b <= en && en <= int64_t(text.size()), "offsets out of range");
      if (!ok) break;
      if (e.input_ids[k] == tok.unk_token_id() && e.tokens[k] == tok.id_to_token(tok.unk_token_id())) continue;
      if (tok.is_special_id(e.input_ids[k])) continue;
      std::string slice = text.substr(size_t(b), size_t(en - b));
      ++c.offsets_checked;
      std::string ns = normalise(name, slice, false), nt = normalise(name, e.tokens[k], true);
      // A piece can be part of one original character (a Hangul syllable decomposed into jamo,
      // "½" -> "1⁄2"): then the character's normal form contains the piece.
      const bool part_of_char = count_chars(umap(strip_ws(slice), UTF8PROC_STABLE | UTF8PROC_COMPOSE)) == 1 && ns.find(nt) != std::string::npos;
      check(ns == nt || part_of_char, "token " + nlp::json(e.tokens[k]).dump() + " at offsets [" + std::to_string(b) + "," +
                          std::to_string(en) + ") = " + nlp::json(slice).dump(-1, ' ', false, nlp::json::error_handler_t::replace) +
                          " normalises to " + nlp::json(ns).dump(-1, ' ', false, nlp::json::error_handler_t::replace) +
                          " not " + nlp::json(nt).dump(-1, ' ', false, nlp::json::error_handler_t::replace));
      // character offsets agree with byte offsets
      // character offsets: the characters containing the first and the last byte
      const int64_t cb = int64_t(std::upper_bound(starts.begin(), starts.end(), uint32_t(b)) - starts.begin()) - 1;
      const int64_t ce = int64_t(std::lower_bound(starts.begin(), starts.end(), uint32_t(en)) - starts.begin());
      check(e.char_offsets[k].first == (b < int64_t(text.size()) ? cb : int64_t(starts.size())) &&
                e.char_offsets[k].second == ce,
            "char offsets (" + std::to_string(e.char_offsets[k].first) + "," + std::to_string(e.char_offsets[k].second) +
                ") disagree with byte offsets");
    }
    if (ok) ++c.encode_ok;
  }
  for (const auto& j : pairs) {
    const std::string a = j.at("text").get<std::string>(), b = j.at("text_pair").get<std::string>();
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string key = it.key();
      if (key == "j" || key == "text" || key == "text_pair") continue;
      ++c.pairs_total;
      EncodeOptions o;
      if (key != "full") {
        // "truncation=only_second,max_length=16"
        size_t comma = key.find(',');
        o.truncation = parse_truncation(key.substr(11, comma - 11));
        o.max_length = std::stoll(key.substr(key.find("max_length=") + 11));
      }
      Encoding e = tok.encode(a, b, o);
      const auto& ref = it.value();
      bool ok = e.input_ids == ref.at("input_ids").get<std::vector<int64_t>>() &&
                e.attention_mask == ref.at("attention_mask").get<std::vector<int64_t>>();
      if (ref.contains("token_type_ids")) ok = ok && e.token_type_ids == ref.at("token_type_ids").get<std::vector<int64_t>>();
      if (ok) ++c.pairs_ok;
      else if (failures.size() < 20)
        failures.push_back(name + " pairs.jsonl j=" + std::to_string(j.at("j").get<int>()) + " " + key + ": input_ids " +
                           show(e.input_ids) + " token_type_ids " + show(e.token_type_ids) + " != " + ref.dump());
    }
  }
  std::cerr << "[tokenizer parity] " << name << ": encode " << c.encode_ok << "/" << c.encode_total << ", pairs "
            << c.pairs_ok << "/" << c.pairs_total << ", offsets checked " << c.offsets_checked << "\n";
  for (const auto& f : failures) std::cerr << "  FAIL " << f << "\n";
  CHECK(c.encode_total == 200);
  CHECK(c.encode_ok == c.encode_total);
  CHECK(c.pairs_total == 32);
  CHECK(c.pairs_ok == c.pairs_total);
}

}  // namespace

TEST_CASE("tokenizer parity: bert-base-uncased", "[tok][parity]") { run_set("bert-base-uncased"); }
TEST_CASE("tokenizer parity: bert-base-cased", "[tok][parity]") { run_set("bert-base-cased"); }
TEST_CASE("tokenizer parity: bert-base-multilingual-cased", "[tok][parity]") { run_set("bert-base-multilingual-cased"); }
TEST_CASE("tokenizer parity: bert-base-uncased-no-lower", "[tok][parity]") { run_set("bert-base-uncased-no-lower"); }
TEST_CASE("tokenizer parity: albert-base-v2", "[tok][parity]") { run_set("albert-base-v2"); }
TEST_CASE("tokenizer parity: gpt2", "[tok][parity]") { run_set("gpt2"); }
TEST_CASE("tokenizer parity: roberta-base", "[tok][parity]") { run_set("roberta-base"); }
TEST_CASE("tokenizer parity: openai-gpt", "[tok][parity]") { run_set("openai-gpt"); }
