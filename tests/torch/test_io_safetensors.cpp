// safetensors reader/writer against the real Hugging Face fixtures in shared/fixtures/hf.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "nlp/io/checkpoint.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"
#include "support/shared.h"
#include "torch/io_test_util.h"

namespace fs = std::filesystem;
using nlp::io::StateDict;

namespace {

at::ScalarType torch_dtype(const std::string& s) {
  if (s == "float32") return at::kFloat;
  if (s == "int64") return at::kLong;
  if (s == "float64") return at::kDouble;
  if (s == "bool") return at::kBool;
  FAIL("fixture dtype not handled by the test: " << s);
  return at::kFloat;
}

}  // namespace

TEST_CASE("load_safetensors reads every fixture's model.safetensors with the keys HF saved", "[io][safetensors]") {
  auto dirs = nlp::test::fixture_dirs();
  REQUIRE(dirs.size() >= 18);
  for (const auto& dir : dirs) {
    INFO(dir);
    nlp::json meta = nlp::read_json_file(dir + "/inputs_outputs.json");
    std::map<std::string, std::string> md;
    StateDict sd = nlp::io::load_safetensors(dir + "/model.safetensors", &md);
    auto expected = meta.at("keys_in_model_safetensors").get<std::vector<std::string>>();
    std::vector<std::string> got;
    for (const auto& kv : sd) got.push_back(kv.first);
    std::sort(expected.begin(), expected.end());
    CHECK(got == expected);
    CHECK(md["format"] == "pt");
    for (const auto& [k, t] : sd) {
      CHECK(t.scalar_type() == at::kFloat);
      CHECK(t.is_contiguous());
      CHECK(torch::isfinite(t).all().item<bool>());
    }
  }
}

TEST_CASE("load_safetensors reads inputs_outputs.safetensors: names, shapes, dtypes and values", "[io][safetensors]") {
  for (const auto& dir : nlp::test::fixture_dirs()) {
    INFO(dir);
    nlp::json meta = nlp::read_json_file(dir + "/inputs_outputs.json");
    std::map<std::string, std::string> md;
    StateDict sd = nlp::io::load_safetensors(dir + "/inputs_outputs.safetensors", &md);
    const auto& listed = meta.at("tensors");
    CHECK(sd.size() == listed.size());
    CHECK(md["model"] == meta.at("name").get<std::string>());
    for (const auto& e : listed) {
      const std::string name = e.at("name").get<std::string>();
      INFO(name);
      REQUIRE(sd.count(name) == 1);
      const at::Tensor& t = sd.at(name);
      CHECK(t.sizes().vec() == e.at("shape").get<std::vector<int64_t>>());
      CHECK(t.scalar_type() == torch_dtype(e.at("dtype").get<std::string>()));
      if (e.contains("max_abs")) {
        // The fixture records each float output's max |x|, computed by PyTorch when writing.
        double want = e.at("max_abs").get<double>();
        double got = t.abs().max().item<double>();
        CHECK(got == Approx(want).epsilon(1e-7));
      }
    }
  }
}

TEST_CASE("tensors outlive the dict they came from (mapping kept alive) and are writable copy-on-write",
          "[io][safetensors]") {
  std::string path = nlp::test::shared_path("fixtures/hf/bert-model/model.safetensors");
  at::Tensor w;
  double sum0;
  {
    StateDict sd = nlp::io::load_safetensors(path);
    w = sd.at("embeddings.word_embeddings.weight");
    sum0 = w.sum().item<double>();
  }
  CHECK(w.sum().item<double>() == sum0);  // the dict and its other tensors are gone
  w.add_(1.0);                             // in place on the mapping: private copy, file untouched
  StateDict again = nlp::io::load_safetensors(path);
  CHECK(again.at("embeddings.word_embeddings.weight").sum().item<double>() == sum0);
}

TEST_CASE("save_safetensors writes byte-for-byte what the reference writer wrote", "[io][safetensors][roundtrip]") {
  nlp::test::TempDir tmp;
  for (const auto& dir : nlp::test::fixture_dirs()) {
    for (const char* file : {"model.safetensors", "inputs_outputs.safetensors"}) {
      const std::string src = dir + "/" + file;
      INFO(src);
      std::map<std::string, std::string> md;
      StateDict sd = nlp::io::load_safetensors(src, &md);
      const std::string out = tmp.path() + "/out.safetensors";
      nlp::io::save_safetensors(out, sd, md);
      // Same dtype-then-name order, same JSON, same space padding as safetensors' own writer.
      CHECK(nlp::read_file(out) == nlp::read_file(src));
      StateDict back = nlp::io::load_safetensors(out);
      REQUIRE(back.size() == sd.size());
      for (const auto& [k, t] : sd) CHECK(nlp::test::bit_equal(back.at(k), t));
    }
  }
}

TEST_CASE("save_safetensors round trips every supported dtype, scalars, empty and strided tensors",
          "[io][safetensors][roundtrip]") {
  nlp::test::TempDir tmp;
  torch::manual_seed(0);
  StateDict sd;
  sd["f64"] = torch::randn({3, 2}, torch::kDouble);
  sd["f32"] = torch::randn({5});
  sd["f16"] = torch::randn({4, 3}).to(torch::kHalf);
  sd["bf16"] = torch::randn({7}).to(torch::kBFloat16);
  sd["i64"] = torch::arange(-5, 5, torch::kLong);
  sd["i32"] = torch::arange(0, 9, torch::kInt).reshape({3, 3});
  sd["i16"] = torch::arange(-3, 3, torch::kShort);
  sd["i8"] = torch::arange(-3, 3, torch::kChar);
  sd["u8"] = torch::arange(250, 256, torch::kLong).to(torch::kByte);
  sd["bool"] = torch::tensor({true, false, true});
  sd["scalar"] = torch::tensor(3.5);
  sd["empty"] = torch::zeros({0, 4});
  sd["transposed"] = torch::randn({3, 4}).t();  // non-contiguous: written contiguous
  const std::string out = tmp.path() + "/all.safetensors";
  nlp::io::save_safetensors(out, sd);

  // Header: 8-byte aligned, padded with spaces, metadata first.
  std::string bytes = nlp::read_file(out);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK(n % 8 == 0);
  CHECK(bytes.substr(8, 31) == "{\"__metadata__\":{\"format\":\"pt\"}");

  // Misaligned data (odd-sized u8/bool/i8 before wider types) is handled by the reader.
  std::map<std::string, std::string> md;
  StateDict back = nlp::io::load_safetensors(out, &md);
  CHECK(md == std::map<std::string, std::string>{{"format", "pt"}});
  REQUIRE(back.size() == sd.size());
  for (const auto& [k, t] : sd) {
    INFO(k);
    CHECK(back.at(k).scalar_type() == t.scalar_type());
    CHECK(nlp::test::bit_equal(back.at(k), t));
  }
  // load -> save -> load is bit-identical, and the second file equals the first byte for byte.
  const std::string out2 = tmp.path() + "/all2.safetensors";
  nlp::io::save_safetensors(out2, back, md);
  CHECK(nlp::read_file(out2) == bytes);
}

TEST_CASE("save_safetensors refuses what it cannot represent, leaving no file behind", "[io][safetensors]") {
  nlp::test::TempDir tmp;
  const std::string out = tmp.path() + "/bad.safetensors";
  StateDict sd{{"c", torch::zeros({2}, torch::kComplexFloat)}};
  nlp::test::require_error([&] { nlp::io::save_safetensors(out, sd); }, {out, "tensor 'c'", "ComplexFloat"});
  StateDict undef{{"u", at::Tensor()}};
  nlp::test::require_error([&] { nlp::io::save_safetensors(out, undef); }, {out, "tensor 'u'", "undefined"});
  CHECK_FALSE(fs::exists(out));
  CHECK(fs::is_empty(tmp.path()));  // no temp file left
}

TEST_CASE("load_checkpoint_dir and load_weights_file pick the file by name and preference", "[io][checkpoint]") {
  std::string dir = nlp::test::shared_path("fixtures/hf/bert-pretraining");
  auto a = nlp::io::load_checkpoint_dir(dir);
  CHECK(a.format == nlp::io::CheckpointFormat::Safetensors);
  CHECK(std::string(nlp::io::format_name(a.format)) == "safetensors");
  REQUIRE(a.files.size() == 1);
  CHECK(a.files[0] == dir + "/model.safetensors");
  CHECK(a.tensors.size() == nlp::io::load_weights_file(dir + "/model.safetensors").size());

  nlp::test::TempDir tmp;
  nlp::test::require_error([&] { nlp::io::load_checkpoint_dir(tmp.path()); },
                           {tmp.path(), "no weights found", "model.safetensors", "pytorch_model.bin"});
  nlp::test::require_error([&] { nlp::io::load_checkpoint_dir(tmp.path() + "/nope"); }, {"nope", "not a directory"});
  nlp::test::require_error([&] { nlp::io::load_weights_file(tmp.path() + "/w.h5"); },
                           {"w.h5", "unknown weights file type"});
  CHECK(std::string(nlp::io::format_name(nlp::io::CheckpointFormat::PytorchBin)) == "pytorch_model.bin");
}
