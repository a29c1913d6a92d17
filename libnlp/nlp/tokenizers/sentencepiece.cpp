#include "nlp/tokenizers/sentencepiece.h"

#include <dlfcn.h>

#include <mutex>

#include "nlp/tokenizers/unicode.h"
#include "nlp/util/error.h"

namespace nlp::tok {

namespace {

typedef void (*PieceCb)(void*, const char*, size_t, int, unsigned, unsigned);
struct SpmApi {
  void* (*load)(const char*, char*, size_t);
  void (*free)(void*);
  void (*encode)(void*, const char*, size_t, PieceCb, void*);
  int (*piece_to_id)(void*, const char*, size_t);
  const char* (*id_to_piece)(void*, int, size_t*);
  int (*size)(void*);
  int (*unk_id)(void*);
  char* (*decode_pieces)(void*, const char* const*, const size_t*, size_t, size_t*);
  void (*free_str)(char*);
};

const SpmApi& spm_api() {
  static SpmApi api;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("LIBNLP_SPM_MODULE")) candidates.push_back(env);
#ifdef NLP_SPM_MODULE_BUILD
    candidates.push_back(NLP_SPM_MODULE_BUILD);
#endif
#ifdef NLP_SPM_MODULE_INSTALL
    candidates.push_back(NLP_SPM_MODULE_INSTALL);
#endif
    candidates.push_back("libnlp_spm.so");
    // RTLD_DEEPBIND keeps sentencepiece on its own protobuf; AddressSanitizer cannot run with it
    // (and ASan builds never load LibTorch), so it is left out there.
    int flags = RTLD_NOW | RTLD_LOCAL;
#ifdef RTLD_DEEPBIND
    if (!dlsym(RTLD_DEFAULT, "__asan_init")) flags |= RTLD_DEEPBIND;
#endif
    void* h = nullptr;
    std::string tried;
    for (const auto& c : candidates) {
      h = dlopen(c.c_str(), flags);
      if (h) break;
      const char* e = dlerror();
      tried += "\n  " + c + ": " + (e ? e : "?");
    }
    if (!h) {
      error = "cannot load the sentencepiece module libnlp_spm.so (set LIBNLP_SPM_MODULE); tried:" + tried;
      return;
    }
    auto sym = [&](const char* name) {
      void* p = dlsym(h, name);
      if (!p) error = std::string("libnlp_spm.so lacks symbol ") + name;
      return p;
    };
    api.load = reinterpret_cast<decltype(api.load)>(sym("nlp_spm_load"));
    api.free = reinterpret_cast<decltype(api.free)>(sym("nlp_spm_free"));
    api.encode = reinterpret_cast<decltype(api.encode)>(sym("nlp_spm_encode"));
    api.piece_to_id = reinterpret_cast<decltype(api.piece_to_id)>(sym("nlp_spm_piece_to_id"));
    api.id_to_piece = reinterpret_cast<decltype(api.id_to_piece)>(sym("nlp_spm_id_to_piece"));
    api.size = reinterpret_cast<decltype(api.size)>(sym("nlp_spm_size"));
    api.unk_id = reinterpret_cast<decltype(api.unk_id)>(sym("nlp_spm_unk_id"));
    api.decode_pieces = reinterpret_cast<decltype(api.decode_pieces)>(sym("nlp_spm_decode_pieces"));
    api.free_str = reinterpret_cast<decltype(api.free_str)>(sym("nlp_spm_free_str"));
  });
  if (!error.empty()) fail("sentencepiece", error);
  return api;
}

struct SpPiece {
  std::string piece;
  int id;
  uint32_t begin, end;
};

}  // namespace

// Thin C++ view of the module's C interface.
struct SentencePieceTokenizer::Sp {
  const SpmApi& api;
  void* h;
  Sp(const SpmApi& a, void* handle) : api(a), h(handle) {}
  ~Sp() { api.free(h); }
  std::vector<SpPiece> encode(std::string_view text) const {
    std::vector<SpPiece> out;
    api.encode(h, text.data(), text.size(),
               [](void* u, const char* p, size_t n, int id, unsigned b, unsigned e) {
                 static_cast<std::vector<SpPiece>*>(u)->push_back({std::string(p, n), id, b, e});
               },
               &out);
    return out;
  }
  void Encode(std::string_view text, std::vector<std::string>* pieces) const {
    pieces->clear();
    for (auto& p : encode(text)) pieces->push_back(std::move(p.piece));
  }
  int PieceToId(std::string_view p) const { return api.piece_to_id(h, p.data(), p.size()); }
  std::string IdToPiece(int id) const {
    size_t n = 0;
    const char* s = api.id_to_piece(h, id, &n);
    return std::string(s, n);
  }
  int GetPieceSize() const { return api.size(h); }
  int unk_id() const { return api.unk_id(h); }
  std::string DecodePieces(const std::vector<std::string>& pieces) const {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& p : pieces) {
      ptrs.push_back(p.data());
      lens.push_back(p.size());
    }
    size_t n = 0;
    char* s = api.decode_pieces(h, ptrs.data(), lens.data(), pieces.size(), &n);
    std::string r(s, n);
    api.free_str(s);
    return r;
  }
};

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_file, SentencePieceOptions opts)
    : opts_(std::move(opts)) {
  const SpmApi& api = spm_api();
  char err[512] = {0};
  void* h = api.load(model_file.c_str(), err, sizeof(err));
  if (!h) fail(model_file, std::string("cannot load sentencepiece model: ") + err);
  sp_ = std::make_unique<Sp>(api, h);
  unk_piece_ = sp_->IdToPiece(sp_->unk_id());
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::string SentencePieceTokenizer::preprocess(std::string_view text,
                                               std::vector<std::pair<uint32_t, uint32_t>>* spans) const {
  UString a, b;
  decode_utf8(text, a);
  if (opts_.do_lower_case) {  // PreTrainedTokenizer.tokenize(): per-character lower()
    lower_charwise(a, b);
    a.swap(b);
  }
  if (opts_.remove_space) {  // " ".join(text.strip().split())
    b.clear();
    size_t i = 0;
    while (i < a.size()) {
      while (i < a.size() && python_isspace(a[i].cp)) ++i;
      if (i >= a.size()) break;
      if (!b.empty()) b.push_back({' ', a[i - 1].begin, a[i - 1].end});
      while (i < a.size() && !python_isspace(a[i].cp)) b.push_back(a[i++]);
    }
    a.swap(b);
  }
  for (char32_t q : {char32_t('`'), char32_t('\'')}) {  // replace("``", '"').replace("''", '"')
    b.clear();
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].cp == q && i + 1 < a.size() && a[i + 1].cp == q) {
        b.push_back({'"', a[i].begin, a[i + 1].end});
        ++i;
      } else {
        b.push_back(a[i]);
      }
    }
    a.swap(b);
  }
  if (!opts_.keep_accents && !all_below_0300(a)) {  // NFKD, drop combining characters
    decompose(a, b, true);
    a.clear();
    for (const UChar& c : b)
      if (combining_class(c.cp) == 0) a.push_back(c);
  } else if (!opts_.keep_accents) {
    bool any = false;
    for (const UChar& c : a) any |= c.cp >= 0xA0;
    if (any) {
      decompose(a, b, true);
      a.clear();
      for (const UChar& c : b)
        if (combining_class(c.cp) == 0) a.push_back(c);
    }
  }
  if (opts_.do_lower_case) {
    lower_python(a, b);
    a.swap(b);
  }
  std::string out;
  out.reserve(a.size());
  if (spans) spans->clear();
  for (const UChar& c : a) {
    size_t before = out.size();
    append_utf8(out, c.cp);
    if (spans)
      for (size_t k = before; k < out.size(); ++k) spans->push_back({c.begin, c.end});
  }
  return out;
}

std::vector<Piece> SentencePieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  const std::string pre = preprocess(text, &spans);
  std::vector<Piece> out;
  if (pre.empty()) return out;
  auto span = [&](uint32_t b, uint32_t e) -> std::pair<int64_t, int64_t> {
    if (spans.empty()) return {0, 0};
    if (b >= spans.size()) return {spans.back().second, spans.back().second};
    if (e <= b) return {spans[b].first, spans[b].first};
    uint32_t lo = spans[b].first, hi = spans[b].second;
    for (uint32_t k = b + 1; k < e && k < spans.size(); ++k) {
      lo = std::min(lo, spans[k].first);
      hi = std::max(hi, spans[k].second);
    }
    return {lo, hi};
  };
  const auto proto = sp_->encode(pre);
  const std::string kMeta = "\xE2\x96\x81";  // U+2581
  int32_t word = -1;
  for (const auto& sp : proto) {
    const std::string& piece = sp.piece;
    if (piece.compare(0, kMeta.size(), kMeta) == 0 || word < 0) ++word;
    auto [b, e] = span(sp.begin, sp.end);
    // AlbertTokenizer: "▁12," -> pieces of "12" + ","
    UString u;
    if (opts_.albert_digit_comma_split && piece.size() > 1 && piece.back() == ',') decode_utf8(piece, u);
    if (u.size() > 1 && python_isdigit(u[u.size() - 2].cp)) {
      std::string body = piece.substr(0, piece.size() - 1);
      std::string stripped;
      for (size_t i = 0; i < body.size();) {
        if (body.compare(i, kMeta.size(), kMeta) == 0) {
          i += kMeta.size();
        } else {
          stripped.push_back(body[i++]);
        }
      }
      std::vector<std::string> cur;
      sp_->Encode(stripped, &cur);
      if (piece.compare(0, kMeta.size(), kMeta) != 0 && !cur.empty() && cur[0].compare(0, kMeta.size(), kMeta) == 0) {
        if (cur[0] == kMeta) cur.erase(cur.begin());
        else cur[0] = cur[0].substr(kMeta.size());
      }
      const int64_t comma_b = (sp.end > sp.begin && pre[sp.end - 1] == ',') ? span(sp.end - 1, sp.end).first : e;
      for (auto& c : cur) {
        Piece p;
        p.id = sp_->PieceToId(c);
        p.token = std::move(c);
        p.begin = b;
        p.end = std::max(b, comma_b);
        p.word = word;
        out.push_back(std::move(p));
      }
      Piece comma;
      comma.token = ",";
      comma.id = sp_->PieceToId(",");
      comma.begin = comma_b;
      comma.end = e;
      comma.word = word;
      out.push_back(std::move(comma));
      continue;
    }
    Piece p;
    p.token = piece;
    p.id = int32_t(sp.id);
    p.begin = b;
    p.end = e;
    p.word = word;
    out.push_back(std::move(p));
  }
  return out;
}

std::string SentencePieceTokenizer::tokens_to_string(const std::vector<std::string>& tokens) const {
  // AlbertTokenizer.convert_tokens_to_string
  std::vector<std::string> current;
  std::string out;
  bool prev_special = false;
  for (const std::string& t : tokens) {
    bool special = false;
    for (const auto& s : opts_.special_tokens) special |= (s == t);
    if (special) {
      if (!prev_special) out.push_back(' ');
      out += sp_->DecodePieces(current) + t;
      prev_special = true;
      current.clear();
    } else {
      current.push_back(t);
      prev_special = false;
    }
  }
  out += sp_->DecodePieces(current);
  // str.strip()
  UString u;
  decode_utf8(out, u);
  size_t b = 0, e = u.size();
  while (b < e && python_isspace(u[b].cp)) ++b;
  while (e > b && python_isspace(u[e - 1].cp)) --e;
  if (b == e) return {};
  return out.substr(u[b].begin, u[e - 1].end - u[b].begin);
}

int32_t SentencePieceTokenizer::token_to_id(std::string_view token) const {
  int id = sp_->PieceToId(token);
  if (id == sp_->unk_id() && token != unk_piece_) return -1;
  return id;
}

std::string SentencePieceTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= sp_->GetPieceSize())
    fail("SentencePiece", "id " + std::to_string(id) + " is out of range [0, " + std::to_string(sp_->GetPieceSize()) + ")");
  return sp_->IdToPiece(id);
}

int64_t SentencePieceTokenizer::vocab_size() const { return sp_->GetPieceSize(); }

}  // namespace nlp::tok
