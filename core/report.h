#pragma once

// The analysis as the command line and exports print it: a DNN-analyzer style table,
// CSV (one row per layer) and JSON (the schema documented in the README).

#include "analysis.h"
#include "devices.h"
#include "format.h"
#include "performance.h"
#include "whatif.h"

#include <QJsonObject>

#include <memory>

#include <string>

namespace fp {

// `timeline` adds the step-by-step series (long for big models).
// `performance`, when given, adds energy per layer and in total, and with a device's roofs
// (hasRoofline()) latency, time share, intensity, bound and the roofline.
QJsonObject toJson(const Model& model, const AnalysisConfig& config, const AnalysisResult& result,
                   bool timeline = false, const PerformanceEstimate* performance = nullptr);
// The budget fields `footprint-cli analyze --format json` adds to toJson's object when a budget is
// set: budget_bytes, fits, max_batch, max_batch_is_search_limit and, for a preset, device.
void addBudgetJson(QJsonObject& root, int64_t budgetBytes, int64_t peakBytes, const BatchFit& fit,
                   const std::string& deviceName = {});
std::string formatTimeline(const Model& model, const AnalysisResult& result);
// The runtime profile the result was computed under (analyze() always names one) and a line
// that says it and whether its table is measured or only documented.
std::shared_ptr<const RuntimeProfile> runtimeOf(const AnalysisResult& result);
std::string runtimeText(const AnalysisResult& result);
// The table output, in the order a reader wants it: the model, the totals, the peak (when, what it
// is made of, the largest buffers live there), then layers, then what could not be costed.
// formatTable joins the three parts; footprint-cli puts the budget verdict between them.
std::string formatSummary(const Model& model, const AnalysisResult& result,
                          const PerformanceEstimate* performance = nullptr, const Calibration* calibration = nullptr,
                          size_t liveRows = 10);
// `rows` >= 0: the `rows` layers using the most memory (layerMemoryBytes), largest first;
// negative: every layer in execution order (the DNN-analyzer table of seed 001).
std::string formatLayers(const Model& model, const AnalysisResult& result,
                         const PerformanceEstimate* performance = nullptr, int rows = 15);
// Unknown shapes, operators without a cost formula, and the analysis's warnings.
std::string formatNotes(const AnalysisResult& result);
// --quantize-to-fit's plan, a line per lowered layer with the peak after it, and whether it fits.
std::string formatQuantizationPlan(const QuantizationPlan& plan);
std::string formatTable(const Model& model, const AnalysisResult& result,
                        const PerformanceEstimate* performance = nullptr, const Calibration* calibration = nullptr,
                        int layerRows = 15);
// What a layer holds: its weights and outputs, plus in training what its backward keeps and its
// parameters' share of the gradients (the top-layers chart's "memory" metric).
int64_t layerMemoryBytes(const AnalysisResult& result, size_t layer);
std::string formatCsv(const Model& model, const AnalysisResult& result, const PerformanceEstimate* performance = nullptr);

} // namespace fp
