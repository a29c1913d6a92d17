// SpanBERT's span boundary objective (SpanBERT §3.2): shapes, the formula
// y_i = LN(GeLU(W2 LN(GeLU(W1 [x_{s-1}; x_{e+1}; p_{i-s+1}])))), the loss, and the pre-training model.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "nlp/models/registry.h"
#include "nlp/models/spanbert.h"
#include "nlp/models/standard_configs.h"
#include "nlp/util/error.h"

using namespace nlp;

static models::SpanBoundaryHeadConfig tiny_sbo() {
  models::SpanBoundaryHeadConfig c;
  c.hidden_size = 12;
  c.vocab_size = 30;
  return c;  // max_span_length 10, position_embedding_size 200 (the paper's values)
}

TEST_CASE("Span boundary head: shapes and the paper's formula", "[spanbert]") {
  torch::manual_seed(0);
  models::SpanBoundaryHead head(tiny_sbo());
  CHECK(head.position_embeddings->weight.sizes() == at::IntArrayRef({10, 200}));
  CHECK(head.linear1->weight.sizes() == at::IntArrayRef({12, 2 * 12 + 200}));
  at::Tensor hidden = torch::randn({2, 9, 12});
  at::Tensor spans = torch::tensor({0, 4, 3, 8, 1, 3, 2, 6}, torch::kLong).view({2, 2, 2});
  at::Tensor emb = torch::randn({30, 12});
  torch::NoGradGuard g;
  at::Tensor y = head.represent(hidden, spans);
  CHECK(y.sizes() == at::IntArrayRef({2, 2, 10, 12}));
  CHECK(head.forward(hidden, spans, emb).sizes() == at::IntArrayRef({2, 2, 10, 30}));

  // Recompute one target by hand: batch 1, span 0 (boundaries 1 and 3), relative position 1 (row 0).
  at::Tensor h0 = torch::cat({hidden[1][1], hidden[1][3], head.position_embeddings->weight[0]});
  auto ln = [](const at::Tensor& x, torch::nn::LayerNorm& l) { return l->forward(x); };
  at::Tensor h1 = ln(torch::gelu(head.linear1->forward(h0)), head.layer_norm1);
  at::Tensor want = ln(torch::gelu(head.linear2->forward(h1)), head.layer_norm2);
  CHECK(torch::allclose(y[1][0][0], want, 1e-5, 1e-6));

  // Only the boundary encodings matter: changing a token inside the span changes nothing.
  at::Tensor inside = hidden.clone();
  inside[0][2] += 5.0;
  CHECK(torch::equal(head.represent(inside, spans)[0][0], y[0][0]));
  at::Tensor boundary = hidden.clone();
  boundary[0][4] += 5.0;
  CHECK(!torch::allclose(head.represent(boundary, spans)[0][0], y[0][0]));

  CHECK_THROWS_AS(head.represent(hidden, torch::tensor({0, 9}, torch::kLong).view({1, 1, 2}).expand({2, 1, 2})),
                  nlp::Error);
  CHECK_THROWS_AS(head.represent(hidden, torch::zeros({2, 3}, torch::kLong)), nlp::Error);
}

TEST_CASE("Span boundary loss is the cross-entropy over the span's tokens only", "[spanbert]") {
  torch::manual_seed(1);
  at::Tensor logits = torch::randn({2, 3, 10, 30});
  at::Tensor labels = torch::full({2, 3, 10}, -100, torch::kLong);
  labels.index_put_({0, 0, torch::indexing::Slice(0, 3)}, torch::tensor({4, 5, 6}));
  labels.index_put_({1, 2, 0}, 7);
  at::Tensor lp = torch::log_softmax(logits, -1);
  double want = -(lp[0][0][0][4] + lp[0][0][1][5] + lp[0][0][2][6] + lp[1][2][0][7]).item<double>() / 4.0;
  CHECK(models::span_boundary_loss(logits, labels).item<double>() == Approx(want).epsilon(1e-6));
  CHECK_THROWS_AS(models::span_boundary_loss(logits, labels.view({6, 10})), nlp::Error);
}

TEST_CASE("SpanBertForPreTraining: MLM + SBO loss, no NSP, trainable end to end", "[spanbert]") {
  json config = {{"model_type", "bert"}, {"architectures", {"SpanBertForPreTraining"}}, {"vocab_size", 40},
                 {"hidden_size", 16}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
                 {"intermediate_size", 24}, {"max_position_embeddings", 32}};
  auto model = models::build_model(config, "test");
  CHECK(model->architecture() == "SpanBertForPreTraining");
  at::Tensor ids = torch::randint(0, 40, {2, 12}, torch::kLong);
  at::Tensor labels = torch::full({2, 12}, -100, torch::kLong);
  labels.index_put_({0, torch::indexing::Slice(3, 6)}, ids.index({0, torch::indexing::Slice(3, 6)}));
  at::Tensor spans = torch::tensor({2, 6, 0, 0}, torch::kLong).view({2, 1, 2});
  at::Tensor span_labels = torch::full({2, 1, 10}, -100, torch::kLong);
  span_labels.index_put_({0, 0, torch::indexing::Slice(0, 3)}, ids.index({0, torch::indexing::Slice(3, 6)}));
  auto out = model->forward({{"input_ids", ids}, {"labels", labels}, {"span_boundaries", spans}, {"span_labels", span_labels}});
  CHECK(out.at("prediction_logits").sizes() == at::IntArrayRef({2, 12, 40}));
  CHECK(out.at("sbo_logits").sizes() == at::IntArrayRef({2, 1, 10, 40}));
  CHECK(out.count("seq_relationship_logits") == 0);
  CHECK(out.count("pooler_output") == 0);
  out.at("loss").backward();
  for (const auto& p : model->named_parameters())
    if (p.key().find("sbo.linear1") != std::string::npos) CHECK(p.value().grad().defined());
  // The SpanBERT checkpoints are BERT checkpoints: the published configurations are bert model_type.
  CHECK(models::standard_config_json("spanbert-base-cased").at("model_type") == "bert");
  CHECK(models::standard_config_json("spanbert-base-cased").at("vocab_size") == 28996);
}
