#include "nlp/pretrain/masking.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "nlp/util/error.h"

namespace nlp::pretrain {

namespace {

bool is_prob(double p) { return p >= 0.0 && p <= 1.0; }

struct Word {
  int64_t begin, end;  // token positions [begin, end)
  int64_t size() const { return end - begin; }
};

// Maximal runs of maskable tokens split at word starts. Unit Token: one word per token.
std::vector<Word> maskable_units(const Sequence& seq, const SpecialTokens& special, bool whole_words) {
  std::vector<Word> words;
  const int64_t n = static_cast<int64_t>(seq.input_ids.size());
  bool prev_maskable = false;
  for (int64_t i = 0; i < n; ++i) {
    const bool maskable = !seq.special_tokens_mask[static_cast<size_t>(i)] && !special.is_special(seq.input_ids[static_cast<size_t>(i)]);
    if (maskable) {
      const bool starts = !whole_words || !prev_maskable || seq.word_start[static_cast<size_t>(i)] != 0;
      if (starts) words.push_back({i, i + 1});
      else words.back().end = i + 1;
    }
    prev_maskable = maskable;
  }
  return words;
}

int32_t random_token(const SpecialTokens& special, const MaskingConfig& config, Rng& rng) {
  for (;;) {
    int32_t id = static_cast<int32_t>(rng.uniform_below(static_cast<uint64_t>(special.vocab_size)));
    if (!config.random_excludes_special || !special.is_special(id)) return id;
  }
}

enum class Replace { Mask, Random, Keep };
Replace draw_replacement(const MaskingConfig& config, Rng& rng) {
  double r = rng.uniform01();
  if (r < config.mask_replace_prob) return Replace::Mask;
  if (r < config.mask_replace_prob + config.random_replace_prob) return Replace::Random;
  return Replace::Keep;
}

}  // namespace

void validate(const MaskingConfig& c, const SpecialTokens& special) {
  const std::string where = "MaskingConfig";
  if (!is_prob(c.mlm_probability)) fail(where, "field 'mlm_probability': expected a value in [0, 1], got " + std::to_string(c.mlm_probability));
  if (!is_prob(c.mask_replace_prob)) fail(where, "field 'mask_replace_prob': expected a value in [0, 1], got " + std::to_string(c.mask_replace_prob));
  if (!is_prob(c.random_replace_prob)) fail(where, "field 'random_replace_prob': expected a value in [0, 1], got " + std::to_string(c.random_replace_prob));
  if (c.mask_replace_prob + c.random_replace_prob > 1.0 + 1e-12)
    fail(where, "mask_replace_prob + random_replace_prob must be <= 1, got " + std::to_string(c.mask_replace_prob + c.random_replace_prob));
  if (c.max_predictions < 0) fail(where, "field 'max_predictions': expected >= 0 (0 = no cap), got " + std::to_string(c.max_predictions));
  if (c.unit == MaskUnit::Span) {
    if (!(c.span_geometric_p > 0.0 && c.span_geometric_p <= 1.0))
      fail(where, "field 'span_geometric_p': expected a value in (0, 1], got " + std::to_string(c.span_geometric_p));
    if (c.span_max_words < 1) fail(where, "field 'span_max_words': expected >= 1, got " + std::to_string(c.span_max_words));
  }
  if (special.mask < 0) fail("SpecialTokens", "field 'mask': the tokenizer has no mask token id");
  std::set<int32_t> ids;
  for (int32_t id : {special.cls, special.sep, special.mask, special.pad, special.bos, special.eos})
    if (id >= 0) ids.insert(id);
  if (special.vocab_size <= static_cast<int64_t>(ids.size()))
    fail("SpecialTokens", "field 'vocab_size': expected more ids than the " + std::to_string(ids.size()) +
                              " special ones, got " + std::to_string(special.vocab_size));
  for (int32_t id : ids)
    if (id >= special.vocab_size) fail("SpecialTokens", "special id " + std::to_string(id) + " >= vocab_size " + std::to_string(special.vocab_size));
}

// ---------------------------------------------------------------- span lengths

SpanLengthSampler::SpanLengthSampler(double p, int64_t max_words, SpanLengthDistribution distribution) {
  if (!(p > 0.0 && p <= 1.0) || max_words < 1)
    fail("SpanLengthSampler", "expected p in (0, 1] and max_words >= 1, got p=" + std::to_string(p) +
                                  ", max_words=" + std::to_string(max_words));
  double q = 1.0;  // (1-p)^(l-1)
  double total = 0.0;
  for (int64_t l = 1; l <= max_words; ++l) {
    double w = p * q;
    if (l == max_words && distribution == SpanLengthDistribution::Clipped) w = q;  // tail mass
    pmf_.push_back(w);
    total += w;
    q *= (1.0 - p);
  }
  double acc = 0.0;
  for (double& w : pmf_) {
    w /= total;
    acc += w;
    cdf_.push_back(acc);
  }
}

int64_t SpanLengthSampler::sample(Rng& rng) const { return static_cast<int64_t>(rng.sample_cdf(cdf_)) + 1; }

double SpanLengthSampler::mean() const {
  double m = 0.0;
  for (size_t i = 0; i < pmf_.size(); ++i) m += static_cast<double>(i + 1) * pmf_[i];
  return m;
}

// ---------------------------------------------------------------- MLM

int64_t masking_budget(int64_t n, const MaskingConfig& c) {
  if (n <= 0) return 0;
  const double x = static_cast<double>(n) * c.mlm_probability;
  int64_t b = c.unit == MaskUnit::Span ? static_cast<int64_t>(std::ceil(x))
                                       : std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(x)));  // half-to-even
  if (c.max_predictions > 0) b = std::min(b, c.max_predictions);
  return std::min(b, n);
}

MaskedSequence apply_masking(const Sequence& seq, const SpecialTokens& special, const MaskingConfig& config, Rng& rng) {
  const size_t n = seq.input_ids.size();
  MaskedSequence out;
  out.input_ids = seq.input_ids;
  out.labels.assign(n, kIgnoreIndex);
  auto replace = [&](int64_t pos, Replace how) {
    const size_t p = static_cast<size_t>(pos);
    out.labels[p] = seq.input_ids[p];
    if (how == Replace::Mask) out.input_ids[p] = special.mask;
    else if (how == Replace::Random) out.input_ids[p] = random_token(special, config, rng);
  };

  std::vector<Word> units = maskable_units(seq, special, config.unit != MaskUnit::Token);
  int64_t num_maskable = 0;
  for (const Word& w : units) num_maskable += w.size();

  if (config.unit == MaskUnit::Span) {
    const SpanLengthSampler lengths(config.span_geometric_p, config.span_max_words, config.span_distribution);
    const int64_t budget = masking_budget(num_maskable, config);
    std::vector<uint8_t> used(units.size(), 0);
    int64_t masked = 0;
    std::vector<size_t> eligible;
    while (masked < budget) {
      const int64_t remaining = budget - masked;
      // Anchor: a token drawn uniformly among unmasked words that fit the remaining budget
      // (SpanBERT draws the anchor token uniformly, then extends to its word).
      eligible.clear();
      int64_t total = 0;
      for (size_t w = 0; w < units.size(); ++w)
        if (!used[w] && units[w].size() <= remaining) {
          eligible.push_back(w);
          total += units[w].size();
        }
      if (eligible.empty()) break;
      const int64_t span_words = lengths.sample(rng);
      int64_t pick = static_cast<int64_t>(rng.uniform_below(static_cast<uint64_t>(total)));
      size_t w = eligible.back();
      for (size_t e : eligible) {
        if (pick < units[e].size()) {
          w = e;
          break;
        }
        pick -= units[e].size();
      }
      MaskedSpan span{units[w].begin, units[w].end};
      used[w] = 1;
      masked += units[w].size();
      // Extend right over whole, adjacent, unmasked words while the length and budget allow.
      for (int64_t k = 1; k < span_words; ++k) {
        const size_t nx = w + static_cast<size_t>(k);
        if (nx >= units.size() || used[nx] || units[nx].begin != span.end || units[nx].size() > budget - masked) break;
        used[nx] = 1;
        masked += units[nx].size();
        span.end = units[nx].end;
      }
      out.spans.push_back(span);
    }
    std::sort(out.spans.begin(), out.spans.end(), [](const MaskedSpan& a, const MaskedSpan& b) { return a.begin < b.begin; });
    for (const MaskedSpan& s : out.spans) {  // 80/10/10 once per span
      const Replace how = draw_replacement(config, rng);
      for (int64_t p = s.begin; p < s.end; ++p) replace(p, how);
    }
    return out;
  }

  std::vector<uint8_t> selected(units.size(), 0);
  const int64_t cap = config.max_predictions > 0 ? config.max_predictions : INT64_MAX;
  int64_t count = 0;
  if (config.selection == MaskSelection::Bernoulli) {
    for (size_t u = 0; u < units.size(); ++u) {
      if (!rng.bernoulli(config.mlm_probability)) continue;
      if (count + units[u].size() > cap) continue;
      selected[u] = 1;
      count += units[u].size();
    }
  } else {
    const int64_t budget = masking_budget(num_maskable, config);
    std::vector<size_t> order(units.size());
    for (size_t u = 0; u < order.size(); ++u) order[u] = u;
    rng.shuffle(order);
    for (size_t u : order) {
      if (count >= budget) break;
      if (count + units[u].size() > budget) continue;
      selected[u] = 1;
      count += units[u].size();
    }
  }
  for (size_t u = 0; u < units.size(); ++u)  // 80/10/10 per token, in position order
    if (selected[u])
      for (int64_t p = units[u].begin; p < units[u].end; ++p) replace(p, draw_replacement(config, rng));
  return out;
}

std::vector<SboTarget> sbo_targets(const MaskedSequence& masked) {
  std::vector<SboTarget> out;
  for (const MaskedSpan& s : masked.spans)
    for (int64_t i = s.begin; i < s.end; ++i) out.push_back({i, s.begin - 1, s.end, i - s.begin});
  return out;
}

// ---------------------------------------------------------------- ELECTRA

ElectraDiscriminatorInputs electra_discriminator_inputs(const std::vector<int32_t>& original_ids,
                                                        const std::vector<int64_t>& positions,
                                                        const std::vector<int32_t>& sampled_ids) {
  if (positions.size() != sampled_ids.size())
    fail("electra_discriminator_inputs", "expected one sampled id per masked position, got " +
                                             std::to_string(sampled_ids.size()) + " samples for " +
                                             std::to_string(positions.size()) + " positions");
  ElectraDiscriminatorInputs out;
  out.input_ids = original_ids;
  out.labels.assign(original_ids.size(), 0);
  for (size_t k = 0; k < positions.size(); ++k) {
    const int64_t p = positions[k];
    if (p < 0 || p >= static_cast<int64_t>(original_ids.size()))
      fail("electra_discriminator_inputs", "masked position " + std::to_string(p) + " outside [0, " +
                                               std::to_string(original_ids.size()) + ")");
    out.input_ids[static_cast<size_t>(p)] = sampled_ids[k];
  }
  for (size_t i = 0; i < original_ids.size(); ++i) out.labels[i] = out.input_ids[i] != original_ids[i] ? 1 : 0;
  return out;
}

std::vector<int64_t> masked_positions(const std::vector<int64_t>& labels) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != kIgnoreIndex) out.push_back(static_cast<int64_t>(i));
  return out;
}

}  // namespace nlp::pretrain
