// A tiny C interface over the sentencepiece library, built as a loadable module (libnlp_spm.so)
// and opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by nlp/tokenizers/sentencepiece.cpp.
//
// Why: Debian's libsentencepiece.so exports its bundled copy of protobuf-lite; linked into a
// process that also loads LibTorch's libprotobuf.so, the two copies interpose each other's
// symbols and the process crashes during static initialisation. Kept in its own symbol scope,
// sentencepiece uses its own protobuf and LibTorch's stays untouched.
#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {

typedef void (*nlp_spm_piece_cb)(void* user, const char* piece, size_t len, int id, unsigned begin, unsigned end);

void* nlp_spm_load(const char* path, char* err, size_t err_len) {
  auto* sp = new sentencepiece::SentencePieceProcessor();
  auto st = sp->Load(path);
  if (!st.ok()) {
    std::string m = st.ToString();
    std::strncpy(err, m.c_str(), err_len - 1);
    err[err_len - 1] = 0;
    delete sp;
    return nullptr;
  }
  return sp;
}

void nlp_spm_free(void* h) { delete static_cast<sentencepiece::SentencePieceProcessor*>(h); }

void nlp_spm_encode(void* h, const char* text, size_t len, nlp_spm_piece_cb cb, void* user) {
  auto* sp = static_cast<sentencepiece::SentencePieceProcessor*>(h);
  const auto proto = sp->EncodeAsImmutableProto(absl::string_view(text, len));
  for (const auto& p : proto.pieces()) cb(user, p.piece().data(), p.piece().size(), int(p.id()), p.begin(), p.end());
}

int nlp_spm_piece_to_id(void* h, const char* piece, size_t len) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(h)->PieceToId(absl::string_view(piece, len));
}

const char* nlp_spm_id_to_piece(void* h, int id, size_t* len) {
  const std::string& s = static_cast<sentencepiece::SentencePieceProcessor*>(h)->IdToPiece(id);
  *len = s.size();
  return s.data();
}

int nlp_spm_size(void* h) { return static_cast<sentencepiece::SentencePieceProcessor*>(h)->GetPieceSize(); }
int nlp_spm_unk_id(void* h) { return static_cast<sentencepiece::SentencePieceProcessor*>(h)->unk_id(); }

// Returns a malloc'ed buffer (free with nlp_spm_free_str).
char* nlp_spm_decode_pieces(void* h, const char* const* pieces, const size_t* lens, size_t n, size_t* out_len) {
  std::vector<std::string> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.emplace_back(pieces[i], lens[i]);
  std::string s = static_cast<sentencepiece::SentencePieceProcessor*>(h)->DecodePieces(v);
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = 0;
  *out_len = s.size();
  return out;
}

void nlp_spm_free_str(char* s) { std::free(s); }

}  // extern "C"
