// pytorch_model.bin (torch.save zip + pickle) reader against the real fixtures and hand-made
// archives with storage offsets, strides and shared storages.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "nlp/io/checkpoint.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"
#include "support/shared.h"
#include "torch/io_test_util.h"

using nlp::io::StateDict;
using nlp::test::PickledTensor;

TEST_CASE("load_pytorch_bin gives exactly the tensors of model.safetensors for every fixture", "[io][pytorch_bin]") {
  auto dirs = nlp::test::fixture_dirs();
  REQUIRE(dirs.size() >= 18);
  for (const auto& dir : dirs) {
    INFO(dir);
    nlp::json meta = nlp::read_json_file(dir + "/inputs_outputs.json");
    StateDict bin = nlp::io::load_pytorch_bin(dir + "/pytorch_model.bin");
    StateDict st = nlp::io::load_safetensors(dir + "/model.safetensors");

    auto expected = meta.at("keys_in_pytorch_model_bin").get<std::vector<std::string>>();
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> got;
    for (const auto& kv : bin) got.push_back(kv.first);
    CHECK(got == expected);

    for (const auto& [k, t] : st) {
      INFO(k);
      REQUIRE(bin.count(k) == 1);
      CHECK(nlp::test::bit_equal(bin.at(k), t));
    }
    // Tied keys dropped from model.safetensors exist in the .bin and share memory with the
    // tensor they are tied to (same storage in torch.save).
    for (const auto& k : meta.at("keys_not_in_model_safetensors (tied / aliased, HF re-ties them on load)")) {
      const std::string key = k.get<std::string>();
      INFO(key);
      REQUIRE(bin.count(key) == 1);
      bool shares = false;
      for (const auto& [k2, t2] : st)
        if (bin.at(k2).data_ptr() == bin.at(key).data_ptr()) shares = nlp::test::bit_equal(bin.at(k2), bin.at(key));
      CHECK(shares);
    }
  }
}

TEST_CASE("load_checkpoint_dir falls back to / prefers pytorch_model.bin", "[io][pytorch_bin][checkpoint]") {
  std::string dir = nlp::test::shared_path("fixtures/hf/gpt2-lm");
  auto c = nlp::io::load_checkpoint_dir(dir, nlp::io::CheckpointFormat::PytorchBin);
  CHECK(c.format == nlp::io::CheckpointFormat::PytorchBin);
  REQUIRE(c.files == std::vector<std::string>{dir + "/pytorch_model.bin"});
  CHECK(c.tensors.count("lm_head.weight") == 1);
  CHECK(nlp::io::load_weights_file(dir + "/pytorch_model.bin").size() == c.tensors.size());

  nlp::test::TempDir tmp;
  nlp::write_file_atomic(tmp.file("pytorch_model.bin"), nlp::read_file(dir + "/pytorch_model.bin"));
  auto only_bin = nlp::io::load_checkpoint_dir(tmp.path());  // prefers safetensors, none there
  CHECK(only_bin.format == nlp::io::CheckpointFormat::PytorchBin);
  CHECK(only_bin.tensors.size() == c.tensors.size());
}

TEST_CASE("storage offsets, strides (non-contiguous views) and shared storages", "[io][pytorch_bin]") {
  nlp::test::TempDir tmp;
  // Storage "0": 24 floats 0..23; storage "1": 6 int64; storage "2": 4 bf16.
  at::Tensor s0 = torch::arange(24, torch::kFloat), s1 = torch::arange(100, 106, torch::kLong),
             s2 = torch::tensor({1.5, -2.0, 3.25, 0.0}).to(torch::kBFloat16);
  auto bytes = [](const at::Tensor& t) { return std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size()); };
  std::vector<PickledTensor> specs = {
      {"matrix", "FloatStorage", "0", 24, 0, {4, 6}, {6, 1}},
      {"transposed", "FloatStorage", "0", 24, 0, {6, 4}, {1, 6}},  // .t() of matrix
      {"row2", "FloatStorage", "0", 24, 12, {6}, {1}},             // matrix[2]
      {"column3", "FloatStorage", "0", 24, 3, {4}, {6}},           // matrix[:, 3]
      {"scalar", "FloatStorage", "0", 24, 23, {}, {}},
      {"empty", "FloatStorage", "0", 24, 24, {0, 3}, {3, 1}},
      {"ids", "LongStorage", "1", 6, 1, {2, 2}, {2, 1}},
      {"bf16", "BFloat16Storage", "2", 4, 0, {4}, {1}},
  };
  for (size_t align : {size_t{64}, size_t{0}}) {  // aligned views of the map, and misaligned copies
    INFO("align " << align);
    std::string path = tmp.file("views" + std::to_string(align) + ".bin");
    nlp::write_file_atomic(path, nlp::test::make_zip({{"archive/data.pkl", nlp::test::state_dict_pickle(specs)},
                                                      {"archive/data/0", bytes(s0)},
                                                      {"archive/data/1", bytes(s1)},
                                                      {"archive/data/2", bytes(s2)},
                                                      {"archive/version", "3\n"}},
                                                     align));
    StateDict sd = nlp::io::load_pytorch_bin(path);
    REQUIRE(sd.size() == specs.size());
    at::Tensor m = s0.reshape({4, 6});
    CHECK(torch::equal(sd.at("matrix"), m));
    CHECK(torch::equal(sd.at("transposed"), m.t()));
    CHECK_FALSE(sd.at("transposed").is_contiguous());
    CHECK(torch::equal(sd.at("row2"), m[2]));
    CHECK(torch::equal(sd.at("column3"), m.select(1, 3)));
    CHECK(sd.at("scalar").dim() == 0);
    CHECK(sd.at("scalar").item<float>() == 23.f);
    CHECK(sd.at("empty").sizes() == at::IntArrayRef({0, 3}));
    CHECK(torch::equal(sd.at("ids"), torch::tensor({101, 102, 103, 104}, torch::kLong).reshape({2, 2})));
    CHECK(sd.at("bf16").scalar_type() == at::kBFloat16);
    CHECK(nlp::test::bit_equal(sd.at("bf16"), s2));
    // One storage, one allocation: writing through one view shows through the others.
    sd.at("matrix")[2][3] = -1.f;
    CHECK(sd.at("row2")[3].item<float>() == -1.f);
    CHECK(sd.at("transposed")[3][2].item<float>() == -1.f);
    CHECK(sd.at("column3")[2].item<float>() == -1.f);
  }
}
