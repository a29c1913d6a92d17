// Corrupted checkpoints, made in a temp dir from the real fixtures: every one must raise
// nlp::Error whose message names the file and the problem - never a crash or a wrong tensor.
// This suite also runs under AddressSanitizer + UBSan (nlp_io_asan_tests).
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>

#include "nlp/io/checkpoint.h"
#include "nlp/io/mapped_file.h"
#include "nlp/io/zip.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"
#include "support/shared.h"
#include "torch/io_test_util.h"

using nlp::test::require_error;
using namespace std::string_literals;

namespace {

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// The fixture model.safetensors split into its parsed header and its data region.
struct Safetensors {
  nlohmann::ordered_json header;
  std::string data;
};

Safetensors split(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  return {nlohmann::ordered_json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

std::string join(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }
std::string join(const Safetensors& s) { return join(s.header.dump(), s.data); }

// Records of a torch.save archive, in file order.
std::vector<std::pair<std::string, std::string>> records(const std::string& path) {
  auto file = nlp::io::detail::MappedFile::open(path);
  nlp::io::detail::ZipArchive zip(file);
  std::vector<std::pair<uint64_t, std::pair<std::string, std::string>>> v;
  for (const auto& [name, e] : zip.entries())
    v.push_back({e.data_offset, {name, std::string(reinterpret_cast<const char*>(zip.data(e)), e.size)}});
  std::sort(v.begin(), v.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& x : v) out.push_back(std::move(x.second));
  return out;
}

class Corrupt {
 public:
  Corrupt() : src_(nlp::test::shared_path("fixtures/hf/bert-model")) {}
  std::string fixture(const std::string& name) const { return nlp::read_file(src_ + "/" + name); }
  // Writes `bytes` to a fresh file in the temp dir and returns its path.
  std::string write(const std::string& name, const std::string& bytes) {
    std::string p = tmp_.file(name);
    std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  void expect_st(const std::string& name, const std::string& bytes, std::initializer_list<std::string> parts) {
    std::string p = write(name + ".safetensors", bytes);
    std::vector<std::string> all(parts);
    all.push_back(p);
    std::string msg = error_of([&] { nlp::io::load_safetensors(p); });
    for (const auto& s : all) CHECK_THAT(msg, Catch::Matchers::Contains(s));
  }
  void expect_bin(const std::string& name, const std::string& bytes, std::initializer_list<std::string> parts) {
    std::string p = write(name + ".bin", bytes);
    std::vector<std::string> all(parts);
    all.push_back(p);
    std::string msg = error_of([&] { nlp::io::load_pytorch_bin(p); });
    for (const auto& s : all) CHECK_THAT(msg, Catch::Matchers::Contains(s));
  }
  static std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const nlp::Error& e) {
      return e.what();
    }
    FAIL("expected nlp::Error, got success");
    return {};
  }

 private:
  std::string src_;
  nlp::test::TempDir tmp_;
};

}  // namespace

TEST_CASE("corrupted safetensors files", "[io][corrupt][safetensors]") {
  Corrupt c;
  const std::string good = c.fixture("model.safetensors");
  const Safetensors st = split(good);
  // First tensor is embeddings.LayerNorm.bias: F32 [32] at [0, 128).
  REQUIRE(st.header.begin().key() == "__metadata__");
  const std::string first = "embeddings.LayerNorm.bias";
  REQUIRE(st.header[first]["data_offsets"] == nlohmann::ordered_json::array({0, 128}));

  SECTION("empty file") { c.expect_st("empty", "", {"too small", "0 bytes"}); }
  SECTION("shorter than the length prefix") { c.expect_st("tiny", good.substr(0, 5), {"too small", "5 bytes"}); }
  SECTION("truncated inside the header") {
    c.expect_st("trunc_header", good.substr(0, 100), {"header length 5672", "runs past the end of the file"});
  }
  SECTION("truncated inside the data") {
    c.expect_st("trunc_data", good.substr(0, good.size() - 10), {"out of range", "the data region holds"});
  }
  SECTION("header length past EOF") {
    std::string b = good;
    b.replace(0, 8, le64(good.size()));
    c.expect_st("len_past_eof", b, {"header length " + std::to_string(good.size()), "runs past the end of the file"});
    b.replace(0, 8, le64(~uint64_t{0}));
    c.expect_st("len_huge", b, {"header length 18446744073709551615", "runs past the end of the file"});
  }
  SECTION("invalid JSON") {
    std::string h = st.header.dump();
    h[h.size() / 2] = '\x01';
    c.expect_st("bad_json", join(h, st.data), {"invalid JSON header"});
    c.expect_st("not_object", join("[1, 2, 3]", st.data), {"expected a JSON object", "array"});
    c.expect_st("deep", join(std::string(50, '[') + std::string(50, ']'), st.data), {"nested deeper"});
    std::string dup = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    c.expect_st("dup_key", join(dup, std::string(8, '\0')), {"tensor 'a' appears twice"});
  }
  SECTION("unknown dtype") {
    Safetensors s = st;
    s.header[first]["dtype"] = "F8_E4M3";
    c.expect_st("dtype", join(s), {"tensor '" + first + "'", "unknown dtype 'F8_E4M3'", "F32"});
    s.header[first]["dtype"] = 32;
    c.expect_st("dtype_type", join(s), {"tensor '" + first + "'", "field 'dtype'"});
  }
  SECTION("overlapping offsets") {
    Safetensors s = st;
    auto second = std::next(s.header.begin(), 2);
    REQUIRE(second.value()["data_offsets"] == nlohmann::ordered_json::array({128, 256}));
    second.value()["data_offsets"] = {64, 192};
    c.expect_st("overlap", join(s), {"tensor '" + second.key() + "'", "[64, 192) overlap tensor '" + first + "' [0, 128)"});
  }
  SECTION("out-of-range offsets") {
    Safetensors s = st;
    const uint64_t n = st.data.size();
    s.header[first]["data_offsets"] = {n - 64, n + 64};
    c.expect_st("range", join(s), {"tensor '" + first + "'", "out of range", std::to_string(n) + " bytes"});
    s.header[first]["data_offsets"] = {128, 0};
    c.expect_st("reversed", join(s), {"tensor '" + first + "'", "begin > end"});
    s.header[first]["data_offsets"] = {-8, 120};
    c.expect_st("negative", join(s), {"tensor '" + first + "'", "field 'data_offsets'"});
    s.header[first].erase("data_offsets");
    c.expect_st("missing", join(s), {"tensor '" + first + "'", "field 'data_offsets'"});
  }
  SECTION("bytes != numel * itemsize (shape mismatch)") {
    Safetensors s = st;
    s.header[first]["shape"] = {33};
    c.expect_st("size", join(s), {"tensor '" + first + "'", "hold 128 bytes", "shape [33] of F32 needs 132 bytes"});
    s.header[first]["shape"] = {4, 4};
    c.expect_st("shape", join(s), {"needs 64 bytes"});
    s.header[first]["shape"] = {uint64_t{1} << 62, uint64_t{1} << 62};
    c.expect_st("overflow", join(s), {"tensor '" + first + "'", "too many elements"});
    s.header[first]["shape"] = {-32};
    c.expect_st("negative_dim", join(s), {"field 'shape'", "non-negative integers"});
    s.header[first]["shape"] = "32";
    c.expect_st("shape_string", join(s), {"field 'shape'"});
  }
  SECTION("bad __metadata__ and bool bytes") {
    Safetensors s = st;
    s.header["__metadata__"]["format"] = 1;
    c.expect_st("meta", join(s), {"__metadata__", "field 'format'", "expected a string"});
    std::string h = "{\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}";
    c.expect_st("bool", join(h, std::string("\x01\x00\x02", 3)), {"tensor 'b'", "BOOL data holds byte value 2"});
  }
  SECTION("a directory is not a file") {
    std::string dir = c.write("probe", "");
    std::string msg = Corrupt::error_of([&] { nlp::io::load_safetensors(dir + "_missing.safetensors"); });
    CHECK_THAT(msg, Catch::Matchers::Contains("_missing.safetensors") && Catch::Matchers::Contains("cannot open"));
  }
}

TEST_CASE("corrupted pytorch_model.bin files", "[io][corrupt][pytorch_bin]") {
  Corrupt c;
  const std::string good = c.fixture("pytorch_model.bin");
  const auto recs = records(nlp::test::shared_path("fixtures/hf/bert-model/pytorch_model.bin"));
  REQUIRE(recs.front().first == "pytorch_model/data.pkl");
  const std::string pkl = recs.front().second;
  auto with = [&](const std::string& name, const std::string* data) {  // data == nullptr: drop it
    std::vector<std::pair<std::string, std::string>> r;
    for (const auto& x : recs)
      if (x.first != name) r.push_back(x);
      else if (data) r.push_back({name, *data});
    return nlp::test::make_zip(r);
  };
  // Our re-zipped fixture loads and equals the original (so every failure below is the corruption).
  {
    std::string p = c.write("rezipped.bin", with("", nullptr));
    auto a = nlp::io::load_pytorch_bin(p);
    auto b = nlp::io::load_pytorch_bin(nlp::test::shared_path("fixtures/hf/bert-model/pytorch_model.bin"));
    REQUIRE(a.size() == b.size());
    for (const auto& [k, t] : b) CHECK(nlp::test::bit_equal(a.at(k), t));
  }

  SECTION("empty file") { c.expect_bin("empty", "", {"not a zip archive"}); }
  SECTION("truncated") {
    c.expect_bin("half", good.substr(0, good.size() / 2), {"no end-of-central-directory record"});
    c.expect_bin("head", good.substr(0, 10), {"not a zip archive", "too small"});
  }
  SECTION("legacy (non-zip) torch.save") { c.expect_bin("legacy", pkl, {"legacy", "not supported"}); }
  SECTION("a zip with a missing record") {
    c.expect_bin("no_record", with("pytorch_model/data/3", nullptr), {"missing record 'pytorch_model/data/3'"});
    c.expect_bin("no_pickle", with("pytorch_model/data.pkl", nullptr), {"no '<name>/data.pkl' record"});
  }
  SECTION("record size != numel * itemsize") {
    std::string shorter = recs[1].second.substr(4);
    c.expect_bin("short_record", with(recs[1].first, &shorter),
                 {"record '" + recs[1].first + "'", "holds " + std::to_string(shorter.size()) + " bytes", "numel * itemsize"});
  }
  SECTION("CRC mismatch (flipped data byte)") {
    std::string b = good;
    auto file = nlp::io::detail::MappedFile::open(nlp::test::shared_path("fixtures/hf/bert-model/pytorch_model.bin"));
    nlp::io::detail::ZipArchive zip(file);
    const auto* e = zip.find("pytorch_model/data/0");
    REQUIRE(e);
    b[e->data_offset + 5] ^= 0x40;
    c.expect_bin("crc", b, {"zip entry 'pytorch_model/data/0'", "CRC-32 mismatch"});
  }
  SECTION("compressed entry") {
    std::string z = with("", nullptr);
    size_t central = z.find("PK\x01\x02");
    REQUIRE(central != std::string::npos);
    z[central + 10] = 8;  // method: deflate
    c.expect_bin("deflated", z, {"zip entry 'pytorch_model/data.pkl' is compressed (method 8)"});
  }
  SECTION("broken zip directory") {
    std::string z = with("", nullptr);
    size_t central = z.find("PK\x01\x02");
    std::string bad_offset = z;
    bad_offset.replace(central + 42, 4, std::string("\xff\xff\xff\x7f", 4));
    c.expect_bin("local_offset", bad_offset, {"local header", "out of range"});
    size_t eocd = z.rfind("PK\x05\x06");
    std::string bad_cd = z;
    bad_cd.replace(eocd + 16, 4, std::string("\xff\xff\xff\x00", 4));
    c.expect_bin("cd_offset", bad_cd, {"central directory", "outside the file"});
  }
  SECTION("a pickle with a foreign global") {
    std::string evil = "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00id\x85R."s;
    c.expect_bin("os_system", with("pytorch_model/data.pkl", &evil), {"data.pkl", "refusing pickle global 'os.system'"});
    std::string evil4 = "\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00\x8c\x08" "builtins\x8c\x04" "eval\x93."s;
    c.expect_bin("eval", with("pytorch_model/data.pkl", &evil4), {"refusing pickle global 'builtins.eval'"});
    // Hidden inside an otherwise valid state dict: after the first tensor, before SETITEMS.
    std::string sneaky = pkl;
    size_t setitems = sneaky.rfind('u');
    REQUIRE(setitems == sneaky.size() - 2);
    sneaky.insert(setitems, "X\x01\x00\x00\x00xcposix\nsystem\nX\x02\x00\x00\x00id\x85R"s);
    c.expect_bin("sneaky", with("pytorch_model/data.pkl", &sneaky), {"refusing pickle global 'posix.system'"});
    std::string storage_call = "\x80\x02" "ctorch\nFloatStorage\n)R.";
    c.expect_bin("storage_call", with("pytorch_model/data.pkl", &storage_call), {"'torch.FloatStorage' cannot be called here"});
  }
  SECTION("malformed pickles") {
    std::string no_stop = pkl.substr(0, pkl.size() - 1);
    c.expect_bin("no_stop", with("pytorch_model/data.pkl", &no_stop), {"data.pkl", "truncated pickle"});
    std::string cut = pkl.substr(0, pkl.size() / 2);
    c.expect_bin("cut", with("pytorch_model/data.pkl", &cut), {"data.pkl", "truncated pickle"});
    std::string opcode = "\x80\x02S'abc'\n.";  // protocol-0 STRING
    c.expect_bin("opcode", with("pytorch_model/data.pkl", &opcode), {"unsupported pickle opcode 0x53"});
    std::string list = "\x80\x02]."; 
    c.expect_bin("list", with("pytorch_model/data.pkl", &list), {"top-level object is a list, not a state dict"});
    std::string not_tensor = "\x80\x02}X\x01\x00\x00\x00" "aK\x01s."s;
    c.expect_bin("not_tensor", with("pytorch_model/data.pkl", &not_tensor), {"state dict entry 'a' is a int, not a tensor"});
    std::string memo = "\x80\x02h\x07.";
    c.expect_bin("memo", with("pytorch_model/data.pkl", &memo), {"memo entry 7 read before it was written"});
    std::string underflow = "\x80\x02R.";
    c.expect_bin("underflow", with("pytorch_model/data.pkl", &underflow), {"stack underflow"});
    std::string leftover = "\x80\x02}}.";
    c.expect_bin("leftover", with("pytorch_model/data.pkl", &leftover), {"values left on the stack"});
  }
  SECTION("tensor views outside their storage") {
    const std::string data(24 * 4, '\0');
    auto one = [&](const nlp::test::PickledTensor& t) {
      return nlp::test::make_zip({{"a/data.pkl", nlp::test::state_dict_pickle({t})}, {"a/data/0", data}});
    };
    c.expect_bin("view_offset", one({"w", "FloatStorage", "0", 24, 20, {2, 3}, {3, 1}}),
                 {"data.pkl", "reaches past the end of storage '0' of 24 elements"});
    c.expect_bin("view_stride", one({"w", "FloatStorage", "0", 24, 0, {4, 6}, {7, 1}}), {"reaches past the end of storage"});
    c.expect_bin("view_dims", one({"w", "FloatStorage", "0", 24, 0, {4, 6}, {6}}), {"size has 2 dims but stride has 1"});
    c.expect_bin("view_negative", one({"w", "FloatStorage", "0", 24, 0, {4, -6}, {6, 1}}), {"non-negative"});
    c.expect_bin("storage_numel", one({"w", "FloatStorage", "0", 25, 0, {24}, {1}}), {"record 'a/data/0' holds 96 bytes", "needs 100"});
    c.expect_bin("storage_type", one({"w", "ComplexFloatStorage", "0", 24, 0, {24}, {1}}),
                 {"refusing pickle global 'torch.ComplexFloatStorage'"});
  }
}

TEST_CASE("random truncations and byte flips never crash: success or nlp::Error", "[io][corrupt][fuzz]") {
  Corrupt c;
  std::mt19937 rng(1234);
  for (const char* file : {"model.safetensors", "pytorch_model.bin"}) {
    const std::string good = c.fixture(file);
    const bool st = std::string(file) == "model.safetensors";
    int errors = 0, trials = 0;
    auto attempt = [&](const std::string& bytes) {
      std::string p = c.write(st ? "f.safetensors" : "f.bin", bytes);
      ++trials;
      try {
        nlp::io::StateDict sd = st ? nlp::io::load_safetensors(p) : nlp::io::load_pytorch_bin(p);
        for (auto& kv : sd) (void)kv.second.sum().item<double>();  // touch every byte that loaded
      } catch (const nlp::Error& e) {
        ++errors;
        CHECK_THAT(std::string(e.what()), Catch::Matchers::StartsWith(p));
      }
    };
    for (size_t len = 0; len < good.size(); len += 1 + good.size() / 97) attempt(good.substr(0, len));
    // Flip bytes where structure lives: the header/pickle at the front and the zip directory at the end.
    for (int i = 0; i < 300; ++i) {
      std::string b = good;
      size_t region = std::min<size_t>(good.size(), 6000);
      size_t at = (i % 2 && !st) ? good.size() - 1 - rng() % region : rng() % region;
      b[at] = static_cast<char>(rng());
      attempt(b);
    }
    INFO(file << ": " << errors << " errors in " << trials << " trials");
    CHECK(errors > trials / 3);
  }
}
